import { describe, expect, it } from 'vitest';
import { InProcessBus, type Bus } from '@magicport/bus';
import {
  BlacklistCommandError,
  BlacklistWriteConflictError,
  BlacklistWriter,
  readBlacklistTopic,
} from '@magicport/blacklist';
import { add, remove } from './blacklist-factory';
import { naiveWrite, publishRace } from './racing-bus';

const TOPIC = 'blacklist-under-test';

async function openBus(partitions = 1): Promise<InProcessBus> {
  const bus = new InProcessBus();
  await bus.ensureTopics([{ topic: TOPIC, partitions, configs: { 'retention.ms': '-1' } }]);
  return bus;
}

const writer = (bus: Bus, stream: string, log?: (m: string) => void) =>
  new BlacklistWriter(bus, { host: 'api-1', stream, topic: TOPIC, ...(log ? { log } : {}) });

describe('BlacklistWriter on the in-process bus', () => {
  it('appends at the next revision and reads back the history', async () => {
    const bus = await openBus();
    const w = writer(bus, 'replica-a');
    const first = await w.execute(add('linux', 1));
    const second = await w.execute(remove('linux', 1));
    expect([first.event.data.revision, first.attempts, second.event.data.revision]).toEqual([
      1, 1, 2,
    ]);
    expect(second.history.changes.map((c) => [c.revision, c.action, c.actor])).toEqual([
      [1, 'added', 'alice'],
      [2, 'removed', 'bob'],
    ]);
  });

  it('two replicas adding at once get distinct revisions; the loser retries and both entries are listed', async () => {
    const bus = await openBus();
    const racing = publishRace(TOPIC, 2)(bus);
    const logs: string[] = [];
    const [a, b] = await Promise.all([
      writer(racing, 'replica-a', (m) => logs.push(m)).execute(add('linux', 1)),
      writer(racing, 'replica-b', (m) => logs.push(m)).execute(add('gplpv-windows', 2)),
    ]);
    expect([a.event.data.revision, b.event.data.revision].sort()).toEqual([1, 2]);
    expect([a.attempts, b.attempts].sort()).toEqual([1, 2]);
    expect(logs).toEqual([
      expect.stringMatching(/: revision 1 went to another writer first \(attempt 1\), retrying$/),
    ]);
    const { history } = await readBlacklistTopic(bus, TOPIC);
    expect([...history.current.entries.keys()].sort()).toEqual([
      '/mh/driver-blacklist/gplpv-windows/2',
      '/mh/driver-blacklist/linux/1',
    ]);
    expect(history.changes.map((c) => c.revision)).toEqual([1, 2]);
    // The lost append stays on the topic, void: three records, two changes.
    expect(history.voided.map((e) => e.data.revision)).toEqual([1]);
  });

  it('control: without the check, two replicas write the same revision and one entry is lost', async () => {
    const bus = await openBus();
    const racing = publishRace(TOPIC, 2)(bus);
    const [a, b] = await Promise.all([
      naiveWrite(racing, TOPIC, 'naive-a', add('linux', 1)),
      naiveWrite(racing, TOPIC, 'naive-b', add('gplpv-windows', 2)),
    ]);
    expect([a.data.revision, b.data.revision]).toEqual([1, 1]);
    const { history } = await readBlacklistTopic(bus, TOPIC);
    expect(history.current.entries.size).toBe(1);
  });

  it('a racing add of the same key: one wins, the other is refused on its retry', async () => {
    const bus = await openBus();
    const racing = publishRace(TOPIC, 2)(bus);
    const results = await Promise.allSettled([
      writer(racing, 'replica-a').execute(add('linux', 1, 'first')),
      writer(racing, 'replica-b').execute(add('linux', 1, 'second')),
    ]);
    const rejected = results.filter((r) => r.status === 'rejected');
    expect(rejected.map((r) => (r as PromiseRejectedResult).reason)).toEqual([
      expect.objectContaining({ code: 'already-listed' }),
    ]);
    expect(rejected[0]!.reason).toBeInstanceOf(BlacklistCommandError);
    const { history } = await readBlacklistTopic(bus, TOPIC);
    expect(history.changes.map((c) => [c.revision, c.key])).toEqual([
      [1, '/mh/driver-blacklist/linux/1'],
    ]);
  });

  it('one writer runs its commands one at a time, so it never races itself', async () => {
    const bus = await openBus();
    const w = writer(bus, 'replica-a');
    const results = await Promise.all([1, 2, 3, 4].map((build) => w.execute(add('linux', build))));
    expect(results.map((r) => [r.event.data.revision, r.attempts])).toEqual([
      [1, 1],
      [2, 1],
      [3, 1],
      [4, 1],
    ]);
  });

  it('gives up with a conflict error after maxAttempts lost races, and nothing of it applies', async () => {
    const bus = await openBus();
    // Every time this writer publishes, another writer has just taken the revision it read.
    const rival = writer(bus, 'rival');
    let build = 100;
    const stolen = new Proxy(bus, {
      get(target, property, receiver) {
        if (property !== 'publish') return Reflect.get(target, property, receiver);
        return async (...args: Parameters<Bus['publish']>) => {
          await rival.execute(add('experimental', build++));
          return target.publish(...args);
        };
      },
    });
    const loser = new BlacklistWriter(stolen, {
      host: 'api-2',
      stream: 'loser',
      topic: TOPIC,
      maxAttempts: 3,
    });
    const error = await loser.execute(add('linux', 1)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BlacklistWriteConflictError);
    expect(error).toMatchObject({
      code: 'write-conflict',
      message:
        'other writers won the blacklist revision 3 times in a row; nothing changed, try again',
    });
    const { history } = await readBlacklistTopic(bus, TOPIC);
    expect(history.current.entries.has('/mh/driver-blacklist/linux/1')).toBe(false);
    expect([history.revision, history.voided.length]).toEqual([3, 3]);
  });

  it('refuses a blacklist topic of more than one partition', async () => {
    const bus = await openBus(3);
    await expect(writer(bus, 'replica-a').execute(add('linux', 1))).rejects.toThrow(
      'blacklist topic blacklist-under-test has 3 partitions; it needs exactly 1 (one order of revisions)',
    );
  });
});
