/**
 * A broker outage in the middle of a `magicport simulate` run. The test owns its broker (a
 * local one of its own, whatever the run's test broker is) so it can stop it and start it again
 * on the same address with the same data, as an operator restarting Kafka would.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stopLocalBroker, type LocalBroker } from '../../deploy/kafka/broker-instances';
import { startLocalBroker } from '../../deploy/kafka/local-broker';
import {
  buildCli,
  killLeftoverCli,
  randomSeed,
  readManifest,
  readRunEvents,
  simulateArgs,
  simulatedDms,
  spawnCli,
  waitFor,
  waitForExit,
  type DeliveredRecord,
} from '../support/recorder';
import { checkDelivery, expectDeliveredOnce } from './delivery-check';
import { acknowledgedAny, inspectJournal, journalBytesOnDisk } from './journal-files';

const name = `recorder-outage-${process.pid}`;
/** Journal frame: u32 length, u32 crc32, u16 key length, key, value. */
const journalBytesOf = (records: DeliveredRecord[]) =>
  records.reduce((n, r) => n + 10 + Buffer.byteLength(r.key ?? '') + r.value.length, 0);
const OUTAGE_MS = 15_000;
let broker: LocalBroker;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'magicport-outage-'));
  [broker] = await Promise.all([startLocalBroker({ name, owner: process.pid }), buildCli()]);
});

afterAll(async () => {
  await killLeftoverCli();
  await stopLocalBroker(name);
  await rm(dir, { recursive: true, force: true });
});

describe('recorder agent through a broker outage', () => {
  it('keeps journaling guests while the broker is down 15 s, then delivers every event once and empties the journal', async () => {
    const journal = join(dir, 'journal');
    const run = {
      seed: randomSeed(),
      // Enough events that the simulator is still running when the broker has stopped: it
      // generates ~80k events/s, and stopping the broker takes seconds.
      hosts: 50,
      guests: 20000,
      boots: 2,
      brokers: broker.bootstrap,
      journal,
      manifest: join(dir, 'manifest.json'),
    };
    const dms = simulatedDms(run);
    const cli = spawnCli(simulateArgs(run));
    await waitFor('the first delivery', () => acknowledgedAny(journal), 60_000, 5);

    const step = (what: string) => console.info(`${new Date().toISOString()} ${what}`);
    step('delivering; stopping the broker');
    expect(await stopLocalBroker(name, { keepData: true })).toMatchObject({ pid: broker.pid });
    step('broker stopped');
    const downAt = Date.now();
    // Journal size on disk through the outage: the guest path writes it, delivery cannot shrink
    // it. It grows until the simulator holds back at its 64 MiB backlog limit (the simulated
    // guests wait there; the agent itself never makes a guest wait).
    const samples: number[] = [];
    while (Date.now() - downAt < OUTAGE_MS) {
      samples.push(await journalBytesOnDisk(journal));
      await sleep(1_000);
    }
    step('starting the broker');
    const back = await startLocalBroker({
      name,
      owner: process.pid,
      port: broker.port,
      controllerPort: broker.controllerPort,
      keepData: true,
    });
    step('broker back');
    const exit = await waitForExit(cli, 120_000);
    step('simulate exited');

    expect(exit.code, exit.stderr).toBe(0);
    expect(back.bootstrap).toBe(broker.bootstrap);
    expect(
      samples.at(-1)! - samples[0]!,
      `journal bytes each second: ${samples.join(', ')}`,
    ).toBeGreaterThan(0);
    // The shipper says when delivery stopped and when it resumed: down/up pairs, ending up.
    const shipper = exit.stderr
      .split('\n')
      .flatMap((l) =>
        /^magicport simulate: bus unavailable \(.+\); journaling and retrying$/.test(l)
          ? ['down']
          : /^magicport simulate: bus back after \d+ failed attempts; draining the journal$/.test(l)
            ? ['up']
            : [],
      );
    expect(shipper.join(' ')).toMatch(/^down up( down up)*$/);

    const manifest = await readManifest(run.manifest);
    const records = await readRunEvents(broker.bootstrap, new Map(), dms);
    const check = checkDelivery(records, dms);
    // The run outlasted the outage: it journaled more in all than it had when the broker returned.
    expect(journalBytesOf(records)).toBeGreaterThan(samples.at(-1)!);
    expectDeliveredOnce(check, manifest, `seed ${run.seed}`);
    expect(check.distinct).toBe(manifest.totalEvents);
    const after = await inspectJournal(journal);
    expect(after.cursor?.meta?.streams).toEqual(check.streamLengths);
    expect([after.undeliveredBytes, after.damage]).toEqual([0, []]);
    console.info(
      `outage: journal bytes each second while down: ${samples.join(', ')}; ${manifest.totalEvents} events`,
    );
  });
});
