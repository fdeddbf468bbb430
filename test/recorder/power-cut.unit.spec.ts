/**
 * Defect: the cursor got ahead of the data. Segment data was fsynced in the background while the
 * shipper was fed (and the cursor acknowledged, with each stream's next seq) bytes that were not
 * on disk yet, and a new segment's directory entry was never fsynced. After a power cut the
 * cursor said a stream's next seq was N while records below N were gone; the restarted agent
 * then dropped the regenerated events as already recorded: a silent gap.
 *
 * The journal runs on a file layer that keeps only what was fsynced (fault-fs.ts); `powerCut()`
 * gives the directory a rebooted machine would find.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Journal } from '../../apps/device-model/src/journal';
import { recoverStreams } from '../../apps/device-model/src/stream-recovery';
import { eventId, GatedBus, openHarnessAgent, until } from './agent-harness';
import { FaultFs, watchUnhandledRejections } from './fault-fs';

const DM = 'host-1.dm-1';

/** Every record from the cursor on, as (dm, seq). */
async function journaled(journal: Journal) {
  const out: Array<{ dm: string; seq: number }> = [];
  let pos = journal.cursor;
  for (;;) {
    const { records, next } = await journal.read(pos, 1 << 20);
    if (records.length === 0) return out;
    out.push(...records.map((r) => eventId(r.value)));
    pos = next;
  }
}

describe('power cut', () => {
  it('the fault layer loses what was written and not fsynced (control)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'magicport-power-cut-'));
    const fs = new FaultFs(dir);
    const journal = await Journal.open(dir, { fs, fsyncIntervalMs: 3_600_000 });
    journal.append({ key: 'k', value: Buffer.from('synced') });
    await journal.flush(true);
    journal.append({ key: 'k', value: Buffer.from('written only') });
    await journal.flush();
    const after = await Journal.open(fs.powerCut());
    expect(
      (await after.read(after.cursor, 1 << 20)).records.map((r) => r.value.toString()),
    ).toEqual(['synced']);
    await after.close();
    await journal.close();
  });

  it('no stream seq is acknowledged past what is on disk: every seq below the resume point is on the bus or in the journal', async () => {
    const rejections = watchUnhandledRejections();
    const dir = await mkdtemp(join(tmpdir(), 'magicport-power-cut-'));
    const fs = new FaultFs(dir);
    const bus = new GatedBus();
    // Background fsyncs all but never happen: what reaches the disk is what the journal asks for.
    const h = await openHarnessAgent(bus, {
      journalDir: dir,
      journal: { fs, fsyncIntervalMs: 3_600_000 },
    });
    h.emit(20);
    await h.agent.drain(5_000);
    // The next batch is held at the bus while more events are written.
    bus.close_gate();
    h.emit(20);
    await until('a publish held at the gate', () => bus.waiting === 1);
    h.emit(20);
    const afterGroup3 = h.nextSeq();
    await new Promise((r) => setTimeout(r, 50)); // written by the agent's next ticks
    // The held batch goes through and is acknowledged; every publish after it fails.
    const delivered = bus.published.length;
    bus.open_gate();
    await until('the held batch delivered', () => bus.published.length > delivered);
    bus.down = true;
    await until('a failed publish', () => h.logs.some((l) => l.startsWith('bus unavailable')));
    h.emit(20); // written, never fsynced: lost in the cut
    await new Promise((r) => setTimeout(r, 50));

    const rebooted = await Journal.open(fs.powerCut());
    const resume = (await recoverStreams(rebooted)).get(DM) ?? 0;
    const present = new Set([...bus.published, ...(await journaled(rebooted))].map((e) => e.seq));
    const missing = Array.from({ length: resume }, (_, seq) => seq).filter((s) => !present.has(s));
    expect(missing).toEqual([]);
    // Everything the shipper had the journal fsync survived; only the last group is to regenerate.
    expect(resume).toBe(afterGroup3);
    await rebooted.close();
    bus.down = false;
    await h.agent.close(5_000, 0);
    expect(rejections.stop()).toEqual([]);
  });

  it('records fsynced into a new segment survive: the segment file itself is made durable', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'magicport-power-cut-'));
    const fs = new FaultFs(dir);
    const journal = await Journal.open(dir, { fs, segmentBytes: 100, fsyncIntervalMs: 3_600_000 });
    for (let i = 0; i < 12; i++) {
      journal.append({
        key: 'k',
        value: Buffer.from(`record-${String(i).padStart(2, '0')}-${'x'.repeat(20)}`),
      });
      await journal.flush(true);
    }
    const after = await Journal.open(fs.powerCut());
    const values = (await after.readRange(after.cursor, { segment: 1e9, offset: 0 })).map((r) =>
      r.value.toString().slice(0, 9),
    );
    expect(values).toEqual(
      Array.from({ length: 12 }, (_, i) => `record-${String(i).padStart(2, '0')}`),
    );
    await after.close();
    await journal.close();
  });
});
