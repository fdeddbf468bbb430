import { describe, expect, it } from 'vitest';
import { BlacklistWriter } from '@magicport/blacklist';
import { InProcessBus, type ScanVisitor } from '@magicport/bus';
import { BLACKLIST_TOPIC } from '@magicport/events';
import { BlacklistService } from '../../apps/server/src/api/blacklist/blacklist.service';

/** The real in-process bus, counting the topic folds (scans) made on it. */
class CountingBus extends InProcessBus {
  scans = 0;
  override scanSince(
    topic: string,
    sinceMs: number,
    visit: ScanVisitor,
    keys?: ReadonlySet<string>,
  ) {
    this.scans++;
    return super.scanSince(topic, sinceMs, visit, keys);
  }
}

async function openBus(): Promise<CountingBus> {
  const bus = new CountingBus();
  await bus.ensureTopics([
    { topic: BLACKLIST_TOPIC, partitions: 1, configs: { 'retention.ms': '-1' } },
  ]);
  return bus;
}

const add = (build: number, actor = 'alice') =>
  ({ kind: 'add', product: 'linux', build, actor, reason: 'crashes on resume' }) as const;
const keys = async (service: BlacklistService) =>
  [...(await service.read()).current.entries.keys()].sort();

describe('BlacklistService.read', () => {
  it('folds the topic once while its end offset stays, again after any append', async () => {
    const bus = await openBus();
    const service = new BlacklistService(bus, () => undefined);
    await service.execute(add(1));
    const scansAfterWrite = bus.scans;
    expect(await keys(service)).toEqual(['/mh/driver-blacklist/linux/1']);
    expect(await keys(service)).toEqual(['/mh/driver-blacklist/linux/1']);
    const [a, b] = await Promise.all([service.read(), service.read()]);
    expect(a).toBe(b);
    // Four reads, one fold: without the kept fold this is 4.
    expect(bus.scans - scansAfterWrite).toBe(1);

    // Another replica (its own writer on the same topic) appends: the next read sees it.
    await new BlacklistWriter(bus, { host: 'api-2', stream: 'replica-b' }).execute(add(2, 'bob'));
    const scansAfterOther = bus.scans;
    expect(await keys(service)).toEqual([
      '/mh/driver-blacklist/linux/1',
      '/mh/driver-blacklist/linux/2',
    ]);
    expect(bus.scans - scansAfterOther).toBe(1);
  });

  it('a junk record on the topic moves the end offset too, and a failed fold is not kept', async () => {
    const bus = await openBus();
    const service = new BlacklistService(bus, () => undefined);
    await service.execute(add(1));
    expect(await keys(service)).toEqual(['/mh/driver-blacklist/linux/1']);
    const before = bus.scans;
    await bus.publish(BLACKLIST_TOPIC, [{ key: 'x', value: Buffer.from('not json') }]);
    expect(await keys(service)).toEqual(['/mh/driver-blacklist/linux/1']);
    expect(bus.scans - before).toBe(1);

    const failing = await openBus();
    const flaky = new BlacklistService(failing, () => undefined);
    let fail = true;
    const scan = failing.scanSince.bind(failing);
    failing.scanSince = (...args) =>
      fail ? Promise.reject(new Error('broker gone')) : scan(...args);
    await expect(flaky.read()).rejects.toThrow('broker gone');
    fail = false;
    expect(await keys(flaky)).toEqual([]);
  });
});
