/**
 * Startup over a large backlog: the undelivered records are streamed (no read of the journal
 * larger than RECOVERY_READ_BYTES, however large its segments) and not one of them is
 * JSON-parsed; each stream's next seq is what parsing every record gives.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEventStamper, eventJson, type GuestEvent } from '@magicport/events';
import { describe, expect, it, vi } from 'vitest';
import { sampleGuestEvents } from '../../../libs/events/test/sample-events';
import { Journal, nodeJournalFs, type JournalFs } from '../src/journal';
import { streamSeqOf, type StreamSeqReads } from '../src/journal-stream-seq';
import { recoverStreams, RECOVERY_READ_BYTES } from '../src/stream-recovery';

const tempDir = () => mkdtemp(join(tmpdir(), 'magicport-stream-recovery-'));

/** The file layer, noting the largest single read. */
function measuringFs() {
  const seen = { largestRead: 0, reads: 0 };
  const fs: JournalFs = {
    ...nodeJournalFs,
    open: async (path, flags) => {
      const file = await nodeJournalFs.open(path, flags);
      const read = file.read.bind(file) as (...args: unknown[]) => ReturnType<typeof file.read>;
      return Object.assign(file, {
        read: (...args: unknown[]) => {
          seen.reads++;
          seen.largestRead = Math.max(seen.largestRead, args[2] as number);
          return read(...args);
        },
      }) as typeof file;
    },
  };
  return { fs, seen };
}

/** `n` events of every type, round-robin over 5 streams of 3 guests, as the agent writes them. */
function backlog(n: number): GuestEvent[] {
  const templates = sampleGuestEvents();
  const stampers = Array.from({ length: 5 }, (_, s) =>
    createEventStamper({
      host: 'host-a.example',
      dm: `host-a.dm-${s}`,
      vm: `3f2504e0-4f89-41d3-9a0c-0305e82c330${s % 3}`,
      domid: 10 + s,
      boot: 1,
      nextSeq: s * 1_000,
      clock: () => 1_772_366_400_000_000,
    }),
  );
  return Array.from({ length: n }, (_, i) => {
    const t = templates[i % templates.length]!;
    return stampers[i % stampers.length]!.stamp(t.type, t.data as never) as GuestEvent;
  });
}

describe('recovering the streams from a backlog', () => {
  it('streams the journal in bounded reads and parses no record', async () => {
    const dir = await tempDir();
    const events = backlog(60_000);
    const writer = await Journal.open(dir);
    for (const e of events) writer.append({ key: e.vm, value: eventJson(e) });
    await writer.close();
    // What parsing every record gives (the reference).
    const expected = new Map<string, number>();
    for (const e of events) expected.set(e.dm, Math.max(expected.get(e.dm) ?? 0, e.seq + 1));

    const { fs, seen } = measuringFs();
    const journal = await Journal.open(dir, { fs });
    expect(journal.unackedBytes).toBeGreaterThan(3 * RECOVERY_READ_BYTES);
    seen.largestRead = 0;
    const reads: StreamSeqReads = { scanned: 0, parsed: 0 };
    const parse = vi.spyOn(JSON, 'parse');
    try {
      expect(await recoverStreams(journal, reads)).toEqual(expected);
      expect(parse).not.toHaveBeenCalled();
    } finally {
      parse.mockRestore();
    }
    expect(reads).toEqual({ scanned: 60_000, parsed: 0 });
    expect(seen.largestRead).toBe(RECOVERY_READ_BYTES);
    await journal.close();
  });

  it('reads every event type the agent writes without parsing it, exactly as parsing does', () => {
    for (const e of backlog(sampleGuestEvents().length * 5)) {
      const reads = { scanned: 0, parsed: 0 };
      const value = Buffer.from(eventJson(e));
      const parsed = JSON.parse(value.toString()) as GuestEvent;
      expect(streamSeqOf(value, reads)).toEqual({ dm: parsed.dm, seq: parsed.seq });
      expect([e.type, reads]).toEqual([e.type, { scanned: 1, parsed: 0 }]);
    }
  });

  it('parses what does not have the envelope shape (control: the scan does not guess)', () => {
    const cases: Array<[string, { dm: string; seq: number }]> = [
      ['{"seq":7,"dm":"a"}', { dm: 'a', seq: 7 }],
      ['{"data":{"dm":"inner","seq":1},"dm":"outer","seq":9}', { dm: 'outer', seq: 9 }],
      ['{"dm":"with \\"quote","seq":3}', { dm: 'with "quote', seq: 3 }],
      ['{"dm":"b","seq":12.5}', { dm: 'b', seq: 12.5 }],
      ['{"seq":1,"dm":"cut short"}', { dm: 'cut short', seq: 1 }],
    ];
    const reads = { scanned: 0, parsed: 0 };
    for (const [json, want] of cases) expect(streamSeqOf(Buffer.from(json), reads)).toEqual(want);
    expect(reads).toEqual({ scanned: 0, parsed: 5 });
    expect(streamSeqOf(Buffer.from('{"dm":"b","seq":12,"x":1}'), reads)).toEqual({
      dm: 'b',
      seq: 12,
    });
    expect(reads).toEqual({ scanned: 1, parsed: 5 });
  });
});
