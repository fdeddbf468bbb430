/**
 * A power cut of a device-model host while its agent delivers: the journal is on a disk whose
 * power can be cut (`test/support/power-cut-disk.ts`: only what was fsynced survives, as the
 * real kernel and ext4 decide). `magicport simulate` is SIGKILLed mid-run and the disk copied
 * at once; the rerun, on the copy, must deliver every event of the fleet exactly once: nothing
 * the cursor acknowledged may be missing from the journal, and what the cut took is
 * regenerated. `test/recorder/power-cut.unit.spec.ts` covers the same on a simulated file
 * layer, with its control; here the check that the cut was real is that it took journal bytes
 * the killed agent had written. Needs root (loop mounts).
 */
import { randomInt } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import '../setup/provided-context';
import { openPowerCutDisk, type PowerCutDisk } from '../support/power-cut-disk';
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
} from '../support/recorder';
import { checkDelivery, expectDeliveredOnce } from './delivery-check';
import { acknowledgedAny, journalBytesOnDisk } from './journal-files';

const brokers = inject('kafkaBrokers');
let disk: PowerCutDisk | undefined;
let dir: string | undefined;

beforeAll(async () => {
  await buildCli();
  dir = await mkdtemp(join(tmpdir(), 'magicport-recorder-power-cut-'));
  disk = await openPowerCutDisk('magicport-recorder-power-cut');
}, 300_000);
afterEach(killLeftoverCli);
afterAll(async () => {
  await disk?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('recorder through a power cut', () => {
  it('delivers every event exactly once after the cut, the lost journal tail regenerated', async () => {
    const run = {
      seed: randomSeed(),
      hosts: 20,
      guests: 3_000,
      boots: 2,
      brokers,
      journal: join(disk!.path, 'journal'),
    };
    const dms = simulatedDms(run);
    const from = await eventsEndOffsets(brokers);
    const first = spawnCli(simulateArgs(run));
    await waitFor('the first delivery', () => acknowledgedAny(run.journal), 60_000, 5);
    await new Promise((resolve) => setTimeout(resolve, randomInt(0, 250)));
    expect((await killHard(first)).signal).toBe('SIGKILL');
    const written = await journalBytesOnDisk(run.journal);
    const cut = await disk!.cut('recorder');
    try {
      const journal = join(cut.path, 'journal');
      const survived = await journalBytesOnDisk(journal);
      // The cut was real: the killed agent had written journal bytes that are gone.
      expect(survived).toBeLessThan(written);
      const manifest = join(dir!, 'manifest.json');
      const rerun = await runCli(simulateArgs({ ...run, journal, manifest }), 180_000);
      expect(rerun.code, rerun.stderr).toBe(0);
      const expected = await readManifest(manifest);
      const records = await readRunEvents(brokers, from, dms);
      const check = checkDelivery(records, dms);
      expectDeliveredOnce(check, expected, `seed ${run.seed}`);
      expect(records.length).toBe(expected.totalEvents);
      console.info(
        `power cut: ${survived} of ${written} journal bytes survived; ` +
          `${records.length} records for ${expected.totalEvents} events (seed ${run.seed})`,
      );
    } finally {
      await cut.release();
    }
  }, 600_000);
});
