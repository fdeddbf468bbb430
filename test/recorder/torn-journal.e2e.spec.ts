/**
 * A journal whose last record is torn (a crash mid-write): the agent reports it, skips it and
 * delivers every record before it. The torn record was never acknowledged and counts in no
 * stream's recovered seq, so nothing but its source can bring it back: a different run on the
 * same journal delivers everything except it; resuming the same simulate run (same seed)
 * regenerates it, with the same id and bytes, and then the run is complete.
 */
import { mkdtemp, rm, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { KafkaBus, KAFKA_BUS_DEFAULTS, magicportTopics, type BusRecord } from '@magicport/bus';
import { EVENTS_TOPIC } from '@magicport/events';
import { Agent } from '../../apps/device-model/src/agent';
import {
  FLEET_DEFAULTS,
  runFleet,
  seedSimulatedBlacklist,
} from '../../apps/device-model/src/simulate';
import '../setup/provided-context';
import {
  buildCli,
  eventsEndOffsets,
  killLeftoverCli,
  randomSeed,
  readManifest,
  readRunEvents,
  runCli,
  simulateArgs,
  simulatedDms,
  type SimulateRun,
} from '../support/recorder';
import { checkDelivery, expectDeliveredOnce } from './delivery-check';
import { inFlightFrames, inFlightReport, inspectJournal } from './journal-files';

const brokers = inject('kafkaBrokers');
let dir = '';

/**
 * The real broker for everything (topics, the blacklist the fleet's handshakes depend on)
 * except the events topic, whose publishes fail as if its broker were unreachable: the agent
 * journals the whole run and delivers none of it.
 */
class EventsUnreachable extends KafkaBus {
  override async publish(topic: string, records: readonly BusRecord[]): Promise<void> {
    if (topic === EVENTS_TOPIC) throw new Error('connect ECONNREFUSED (events broker down)');
    return super.publish(topic, records);
  }
}

/** Runs the simulated fleet `run` in this process, with its events journaled, not delivered. */
async function journalUndelivered(run: SimulateRun): Promise<void> {
  const bus = new EventsUnreachable({
    ...KAFKA_BUS_DEFAULTS,
    brokers: brokers.split(','),
    clientId: 'magicport-torn-journal-test',
    log: () => undefined,
  });
  await bus.ensureTopics(magicportTopics());
  const host = 'torn-journal-test';
  const agent = await Agent.open({ host, journalDir: run.journal, maxQueuedEvents: 50_000 }, bus);
  try {
    await agent.blacklist.ready;
    // The entries `magicport simulate` adds, so that both runs see the same blacklist.
    const stream = `torn-journal-test-${process.pid}-${Date.now()}`;
    await seedSimulatedBlacklist(bus, agent.blacklist.view, { host, stream, actor: host });
    await runFleet(agent, { ...FLEET_DEFAULTS, ...run });
  } finally {
    await agent.close(0, FLEET_DEFAULTS.startUs);
    await bus.close();
  }
}

const journalLines = (stderr: string) =>
  stderr.split('\n').filter((line) => line.startsWith('magicport simulate: journal '));
const inFlightLines = (stderr: string) =>
  stderr
    .split('\n')
    .filter((line) => line.startsWith('magicport simulate: journal: batch in flight'));

beforeAll(buildCli);
afterEach(killLeftoverCli);
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('torn journal tail', () => {
  it('is reported and skipped; the records before it are delivered, and only resuming its run regenerates it', async () => {
    dir = await mkdtemp(join(tmpdir(), 'magicport-torn-'));
    const journal = join(dir, 'journal');
    const manifest = join(dir, 'manifest.json');
    const run = { seed: randomSeed(), hosts: 5, guests: 30, boots: 2, brokers, journal, manifest };
    const dms = simulatedDms(run);
    const from = await eventsEndOffsets(brokers);

    await journalUndelivered(run);
    const written = await inspectJournal(journal);
    // Nothing acknowledged; the first batch (with the next one, marked while the first was
    // being sent) stayed marked in flight through the failed sends.
    expect([written.cursor, written.damage]).toEqual([
      {
        segment: 1,
        offset: 16, // the first record, after the segment header
        inFlight: {
          from: { segment: 1, offset: 16 },
          next: { segment: 1, offset: expect.any(Number) },
          firstAttemptMs: expect.any(Number),
        },
      },
      [],
    ]);
    const torn = written.undelivered.at(-1)!;
    const kept = written.undelivered.slice(0, -1);
    const inFlight = inFlightFrames(written).filter((f) => f !== torn);
    expect(inFlight.length).toBeGreaterThan(0);
    const tornId = (JSON.parse(torn.value.toString()) as { id: string }).id;
    await truncate(join(journal, torn.file), torn.offset + torn.bytes - 3);

    // Another run on the same journal: the agent delivers the old records first.
    const other = { seed: run.seed + 1, hosts: 1, guests: 1, boots: 1, brokers, journal };
    const exit = await runCli(simulateArgs(other), 60_000);
    expect(exit.code, exit.stderr).toBe(0);
    const payload = torn.bytes - 8;
    expect(journalLines(exit.stderr)).toEqual([
      `magicport simulate: journal ${torn.file}: damaged record at byte ${torn.offset} (record of ${payload} bytes cut at ${payload - 3}); skipped ${torn.bytes - 3} bytes, the records before it are kept`,
      `magicport simulate: journal holds ${kept.reduce((n, f) => n + f.bytes, 0)} undelivered bytes from before; delivering them first`,
    ]);
    // None of the batch marked in flight reached the topic: all of it is sent now.
    expect(inFlightLines(exit.stderr)).toEqual([
      `magicport simulate: ${inFlightReport(0, inFlight.length)}`,
    ]);
    const delivered = await readRunEvents(brokers, from, dms);
    const values = (list: { value: Buffer }[]) => list.map((r) => r.value.toString()).sort();
    expect(values(delivered)).toEqual(values(kept));
    expect(delivered.map((r) => r.event.id)).not.toContain(tornId);

    // The same run resumed: the torn event is regenerated, identical to what was journaled.
    const resumed = await runCli(simulateArgs(run), 60_000);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect([...journalLines(resumed.stderr), ...inFlightLines(resumed.stderr)]).toEqual([]);
    const truth = await readManifest(manifest);
    const all = await readRunEvents(brokers, from, dms);
    const check = checkDelivery(all, dms);
    expectDeliveredOnce(check, truth, `seed ${run.seed}`);
    expect(check.distinct).toBe(truth.totalEvents);
    expect(truth.totalEvents).toBe(written.undelivered.length);
    expect(all.filter((r) => r.event.id === tornId).map((r) => r.value.toString())).toEqual([
      torn.value.toString(),
    ]);
  });
});
