import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BlacklistWriter } from '@magicport/blacklist';
import { KafkaBus, KAFKA_BUS_DEFAULTS, magicportTopics } from '@magicport/bus';
import type { HandshakeOutcomeData } from '@magicport/events';
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

/**
 * A spec-profile guest announcing product `experimental` with `build`; returns the re-check
 * answer and the handshake's recorded outcome (the guest stops right after the re-check).
 */
function recheck(agent: Agent, dm: string, build: number): number {
  return handshake(agent, dm, build).answer;
}

function handshake(agent: Agent, dm: string, build: number) {
  const outcomes: HandshakeOutcomeData[] = [];
  const r = agent.instance(
    {
      dm,
      vm: VM,
      domid: 1,
      profile: 'spec',
      enforceBlacklist: false,
      idleGapMs: 5000,
      logByteAccesses: false,
      source: 'simulated',
    },
    (e) => {
      if (e.type === 'handshake.outcome') outcomes.push(e.data);
    },
  );
  const t = Date.UTC(2026, 0, 1) * 1000;
  r.access('in', 0x10, 2, undefined, t);
  r.access('in', 0x12, 1, undefined, t + 1);
  r.access('out', 0x12, 2, 0xffff, t + 2);
  r.access('out', 0x10, 4, build, t + 3);
  const answer = r.access('in', 0x10, 2, undefined, t + 4);
  r.stop('guest-shutdown', t + 5);
  return { answer, outcomes };
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

    // Through the writer: another test writing the shared topic meanwhile cannot void this entry.
    const writer = new BlacklistWriter(bus, { host: 'ops', stream: `follow-writer-${build}` });
    const command = { product: 'experimental', build, actor: 'ops', reason: 'follow test' };
    const { event } = await writer.execute({ kind: 'add', ...command });
    const published = Date.now(); // acknowledged and read back by the writer
    while (!agent.blacklist.view.lookup(key)) {
      expect(Date.now() - published).toBeLessThan(1_000);
      await new Promise((r) => setTimeout(r, 5));
    }
    // The handshake runs synchronously: the view cannot move during it.
    const revision = agent.blacklist.view.revision;
    const hit = handshake(agent, `follow.dm-b-${build}`, build);
    expect(hit.answer).toBe(0xd249);
    // The outcome names the revision the agent answered from, one that holds the entry.
    expect(hit.outcomes.map((o) => [o.result, o.blacklistKey, o.blacklistRevision])).toEqual([
      ['blacklisted', key, revision],
    ]);
    expect(revision).toBeGreaterThanOrEqual(event.data.revision);
  });

  it('a second agent has folded everything already on the topic by the time it is ready', async () => {
    const first = await openAgent();
    await first.agent.blacklist.ready;
    const build = 1_000_000 + Math.floor(Math.random() * 1_000_000_000);
    const key = `/mh/driver-blacklist/gplpv-windows/${build}`;
    const writer = new BlacklistWriter(first.bus, { host: 'ops', stream: `fold-writer-${build}` });
    await writer.execute({
      kind: 'add',
      product: 'gplpv-windows',
      build,
      actor: 'ops',
      reason: 'fold test',
    });
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
