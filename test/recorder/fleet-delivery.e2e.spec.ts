/**
 * `magicport simulate` as a child process delivering to the test broker through the recorder
 * agent (journal, shipper, idempotent producer). The events topic has a fixed name and may hold
 * other runs' records, so each test reads only its own: from the end offsets noted before its
 * run, and only the device-model instances its seed plans (a random seed per test keeps
 * concurrent runs on one broker apart).
 */
import { randomInt } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import '../setup/provided-context';
import {
  buildCli,
  eventsEndOffsets,
  killHard,
  killLeftoverCli,
  randomSeed,
  readManifest,
  readRunEvents,
  runCli,
  simulateArgs,
  simulatedDms,
  spawnCli,
  waitFor,
  type SimulateRun,
} from '../support/recorder';
import { checkDelivery, expectDeliveredOnce } from './delivery-check';
import {
  acknowledgedAny,
  agentJournalReport,
  inFlightFrames,
  inFlightReport,
  inspectJournal,
} from './journal-files';

const brokers = inject('kafkaBrokers');
const dirs: string[] = [];

async function fleetRun(guests: number): Promise<Required<SimulateRun>> {
  const dir = await mkdtemp(join(tmpdir(), 'magicport-recorder-'));
  dirs.push(dir);
  const journal = join(dir, 'journal');
  const manifest = join(dir, 'manifest.json');
  return { seed: randomSeed(), hosts: 20, guests, boots: 2, brokers, journal, manifest };
}

beforeAll(buildCli);
afterEach(killLeftoverCli);
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('magicport simulate into Kafka', () => {
  it('delivers each event of 1,000 guests once: counts by type as the manifest, gapless per dm, one partition per guest', async () => {
    const run = await fleetRun(1000);
    const dms = simulatedDms(run);
    const from = await eventsEndOffsets(brokers);

    const exit = await runCli(simulateArgs(run), 120_000);
    expect(exit.code, exit.stderr).toBe(0);

    const manifest = await readManifest(run.manifest);
    const check = checkDelivery(await readRunEvents(brokers, from, dms), dms);
    expectDeliveredOnce(check, manifest, `seed ${run.seed}`);
    expect(check.distinct).toBe(manifest.totalEvents);
    expect(manifest.eventsByType['dm.started']).toBe(1000);
    expect(manifest.eventsByType['dm.stopped']).toBe(1000);
    // Every stream is as long as the agent journaled it, and nothing is left undelivered.
    const journal = await inspectJournal(run.journal);
    expect(journal.cursor?.meta?.streams).toEqual(check.streamLengths);
    expect([journal.undeliveredBytes, journal.damage]).toEqual([0, []]);
  });

  it('delivers each event exactly once when the agent is killed with SIGKILL mid-run and rerun', async () => {
    // 3,000 guests: the agent delivers 1,000 guests' events within ~250 ms of its first batch.
    const run = await fleetRun(3000);
    const dms = simulatedDms(run);
    const from = await eventsEndOffsets(brokers);

    const { manifest: _, ...withoutManifest } = run;
    const first = spawnCli(simulateArgs(withoutManifest));
    // The cursor moves with the first acknowledged batch: something was delivered.
    await waitFor('the first delivery', () => acknowledgedAny(run.journal), 60_000, 5);
    // Then a random moment within the next batches, so that runs probe different points of the
    // publish-then-acknowledge cycle.
    const lateMs = randomInt(0, 250);
    await new Promise((resolve) => setTimeout(resolve, lateMs));
    expect((await killHard(first)).signal).toBe('SIGKILL');
    const atKill = await inspectJournal(run.journal);
    const onTopicAtKill = await readRunEvents(brokers, from, dms);
    const deliveredAtKill = onTopicAtKill.length;
    // The batch the killed agent was sending, and how much of it had reached the broker.
    const inFlight = inFlightFrames(atKill);
    const delivered = new Set(onTopicAtKill.map((r) => r.value.toString('latin1')));
    const inFlightDelivered = inFlight.filter((f) => delivered.has(f.value.toString('latin1')));

    const second = await runCli(simulateArgs(run), 120_000);
    expect(second.code, second.stderr).toBe(0);
    // The rerun reports what the killed one left: any torn tail, then the undelivered backlog.
    const lines = second.stderr.split('\n');
    expect(lines.filter((line) => line.includes(': journal '))).toEqual(
      agentJournalReport(atKill).map((line) => `magicport simulate: ${line}`),
    );
    // Then whether a batch was in flight, and how much of it the new agent found on the topic.
    expect(lines.filter((line) => line.includes(': journal: batch in flight'))).toEqual(
      atKill.cursor?.inFlight
        ? [`magicport simulate: ${inFlightReport(inFlightDelivered.length, inFlight.length)}`]
        : [],
    );

    const manifest = await readManifest(run.manifest);
    const records = await readRunEvents(brokers, from, dms);
    const check = checkDelivery(records, dms);
    expect(deliveredAtKill).toBeGreaterThan(0);
    expect(deliveredAtKill).toBeLessThan(manifest.totalEvents / 2);
    expectDeliveredOnce(check, manifest, `seed ${run.seed}`);
    expect(check.distinct).toBe(manifest.totalEvents);
    expect(records.length).toBe(manifest.totalEvents);
    const journal = await inspectJournal(run.journal);
    expect(journal.cursor?.meta?.streams).toEqual(check.streamLengths);
    expect([journal.undeliveredBytes, journal.damage]).toEqual([0, []]);
    const window = atKill.cursor?.inFlight
      ? `a batch in flight, ${inFlightDelivered.length} of its ${inFlight.length} records on the topic`
      : 'no batch in flight';
    console.info(
      `kill -9 ${lateMs} ms after the first delivery, at ${deliveredAtKill} delivered events (journal backlog ${atKill.undeliveredBytes} bytes, ${window}): ` +
        `${records.length} records for ${manifest.totalEvents} events (seed ${run.seed})`,
    );
  });
});
