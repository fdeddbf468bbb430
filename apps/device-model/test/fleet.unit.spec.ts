import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InProcessBus, magicportTopics, type ConsumedRecord } from '@magicport/bus';
import { decodeEvent, EVENTS_TOPIC, type GuestEvent } from '@magicport/events';
import { Agent, FLEET_DEFAULTS, planFleet, runFleet, seedSimulatedBlacklist } from '../src';

async function fleetOnInProcessBus(guests: number, seed: number) {
  const bus = new InProcessBus();
  await bus.ensureTopics(magicportTopics({ eventPartitions: 4 }));
  const received: ConsumedRecord[] = [];
  await bus.subscribe({
    topic: EVENTS_TOPIC,
    groupId: 'test',
    fromBeginning: true,
    onBatch: async (b) => void received.push(...b.records),
  });
  const agent = await Agent.open(
    {
      host: 'agent-test',
      journalDir: await mkdtemp(join(tmpdir(), 'magicport-fleet-')),
      maxQueuedEvents: 10_000,
    },
    bus,
  );
  await agent.blacklist.ready;
  await seedSimulatedBlacklist(bus, agent.blacklist.view, {
    host: 'agent-test',
    stream: 'sim-writer',
    actor: 'simulator',
  });
  const manifest = await runFleet(agent, { ...FLEET_DEFAULTS, seed, guests, hosts: 5, boots: 2 });
  await agent.close(10_000, 0);
  const events = received.map((r) => {
    const d = decodeEvent(r.value);
    if (!d.ok) throw new Error(d.reason);
    return { key: r.key, event: d.event as GuestEvent };
  });
  return { manifest, events };
}

describe('simulated fleet through the agent (in-process bus)', () => {
  it('is the same fleet for the same seed and a different one for another', () => {
    const a = planFleet({ seed: 7, hosts: 4, guests: 50 });
    const b = planFleet({ seed: 7, hosts: 4, guests: 50 });
    const c = planFleet({ seed: 8, hosts: 4, guests: 50 });
    expect(a).toEqual(b);
    expect(c.map((g) => g.vm)).not.toEqual(a.map((g) => g.vm));
    expect(new Set(a.map((g) => g.vm)).size).toBe(50);
  });

  it('delivers exactly the events the manifest counts, valid, keyed by vm, gapless per instance', async () => {
    const { manifest, events } = await fleetOnInProcessBus(120, 3);
    const byType: Record<string, number> = {};
    for (const { event } of events) byType[event.type] = (byType[event.type] ?? 0) + 1;
    expect(byType).toEqual(manifest.eventsByType);
    expect(events.length).toBe(manifest.totalEvents);
    expect(manifest.eventsByType['dm.started']).toBe(120);
    expect(manifest.eventsByType['dm.stopped']).toBe(120);
    for (const { key, event } of events) expect(key).toBe(event.vm);
    const seqs = new Map<string, number[]>();
    for (const { event } of events) seqs.set(event.dm, [...(seqs.get(event.dm) ?? []), event.seq]);
    expect(seqs.size).toBe(120);
    for (const list of seqs.values()) expect(list).toEqual(list.map((_, i) => i));
    const results = Object.values(manifest.handshakeResults).reduce((a, b) => a + b, 0);
    expect(results).toBe(manifest.eventsByType['handshake.outcome']);
  });
});
