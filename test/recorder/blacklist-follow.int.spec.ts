import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { decide } from '@magicport/blacklist';
import { KafkaBus, KAFKA_BUS_DEFAULTS, magicportTopics } from '@magicport/bus';
import {
  BLACKLIST_TOPIC,
  createBlacklistStamper,
  encodeEvent,
  recordKeyOf,
} from '@magicport/events';
import { Agent } from '../../apps/device-model/src';
import { testKafkaBrokers } from '../support/kafka';

const VM = '0b7c1d2e-3f40-4a5b-8c6d-7e8f9a0b1c2d';
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function openAgent(): Promise<{ agent: Agent; bus: KafkaBus }> {
  const bus = new KafkaBus({
    ...KAFKA_BUS_DEFAULTS,
    brokers: testKafkaBrokers(),
    log: () => undefined,
  });
  await bus.ensureTopics(magicportTopics());
  const dir = await mkdtemp(join(tmpdir(), 'magicport-blacklist-follow-'));
  const agent = await Agent.open(
    { host: 'follow-test', journalDir: dir, maxQueuedEvents: 1000 },
    bus,
  );
  cleanups.push(async () => {
    await agent.close(5_000, 0);
    await bus.close();
    await rm(dir, { recursive: true, force: true });
  });
  return { agent, bus };
}

/** A spec-profile guest announcing product `experimental` with `build`; returns the re-check answer. */
function recheck(agent: Agent, dm: string, build: number): number {
  const r = agent.instance({
    dm,
    vm: VM,
    domid: 1,
    profile: 'spec',
    enforceBlacklist: false,
    idleGapMs: 5000,
    logByteAccesses: false,
    source: 'simulated',
  });
  const t = Date.UTC(2026, 0, 1) * 1000;
  r.access('in', 0x10, 2, undefined, t);
  r.access('in', 0x12, 1, undefined, t + 1);
  r.access('out', 0x12, 2, 0xffff, t + 2);
  r.access('out', 0x10, 4, build, t + 3);
  return r.access('in', 0x10, 2, undefined, t + 4);
}

describe('agent blacklist view on the real broker', () => {
  it('answers from the view once ready; a new entry reaches the next handshake within a second', async () => {
    const { agent, bus } = await openAgent();
    await agent.blacklist.ready;
    expect(agent.readiness()).toEqual({ ready: true, reasons: [] });
    // A build no other test lists: unique per run.
    const build = 1_000_000 + Math.floor(Math.random() * 1_000_000_000);
    const key = `/mh/driver-blacklist/experimental/${build}`;
    expect(recheck(agent, `follow.dm-a-${build}`, build)).toBe(0x49d2);

    const change = decide(
      { kind: 'add', product: 'experimental', build, actor: 'ops', reason: 'follow test' },
      agent.blacklist.view.current,
    );
    const event = createBlacklistStamper({ host: 'ops', dm: `follow-writer-${build}` }).stamp(
      change.type,
      change.data,
    );
    const published = Date.now();
    await bus.publish(BLACKLIST_TOPIC, [{ key: recordKeyOf(event), value: encodeEvent(event) }]);
    while (!agent.blacklist.view.lookup(key)) {
      expect(Date.now() - published).toBeLessThan(1_000);
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(recheck(agent, `follow.dm-b-${build}`, build)).toBe(0xd249);
  });

  it('a second agent has folded everything already on the topic by the time it is ready', async () => {
    const first = await openAgent();
    await first.agent.blacklist.ready;
    const build = 1_000_000 + Math.floor(Math.random() * 1_000_000_000);
    const key = `/mh/driver-blacklist/gplpv-windows/${build}`;
    const change = decide(
      { kind: 'add', product: 'gplpv-windows', build, actor: 'ops', reason: 'fold test' },
      first.agent.blacklist.view.current,
    );
    const event = createBlacklistStamper({ host: 'ops', dm: `fold-writer-${build}` }).stamp(
      change.type,
      change.data,
    );
    await first.bus.publish(BLACKLIST_TOPIC, [
      { key: recordKeyOf(event), value: encodeEvent(event) },
    ]);
    while (!first.agent.blacklist.view.lookup(key)) await new Promise((r) => setTimeout(r, 5));

    const second = await openAgent();
    await second.agent.blacklist.ready;
    expect(second.agent.blacklist.view.lookup(key)).toBe(true);
    expect(second.agent.blacklist.view.revision).toBe(first.agent.blacklist.view.revision);
    expect(second.agent.blacklist.view.entries.map((e) => e.key).sort()).toEqual(
      first.agent.blacklist.view.entries.map((e) => e.key).sort(),
    );
  });
});
