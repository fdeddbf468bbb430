import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { streamsMeta } from '../src/agent';
import { Journal, type JournalPosition } from '../src/journal';

/**
 * 24-byte frames: 8 header + 2 key length + 4 key + 10 value; a segment's first record is at 16,
 * after the segment header.
 */
const rec = (i: number) => ({
  key: `vm-${i % 3}`,
  value: Buffer.from(`event-${String(i).padStart(4, '0')}`),
});
const tempDir = () => mkdtemp(join(tmpdir(), 'magicport-journal-in-flight-'));
const cursorFile = async (dir: string) =>
  JSON.parse(await readFile(join(dir, 'cursor.json'), 'utf8')) as unknown;

describe('Journal in-flight mark', () => {
  it('is persisted with the cursor and the last meta, kept by a reopen, cleared by the ack', async () => {
    const dir = await tempDir();
    const journal = await Journal.open(dir);
    for (let i = 0; i < 10; i++) journal.append(rec(i));
    await journal.flush(true);
    const first = await journal.read(journal.cursor, 4 * 24);
    await journal.ack(first.next, { streams: { dm: 4 } });
    const second = await journal.read(first.next, 3 * 24);
    const batch = { from: first.next, next: second.next, firstAttemptMs: 1_700_000_000_123 };
    await journal.markInFlight(batch);

    expect(journal.inFlight).toEqual(batch);
    expect(await cursorFile(dir)).toEqual({
      segment: 1,
      offset: 112,
      meta: { streams: { dm: 4 } },
      inFlight: {
        from: { segment: 1, offset: 112 },
        next: { segment: 1, offset: 184 },
        firstAttemptMs: 1_700_000_000_123,
      },
    });
    await journal.close();

    const reopened = await Journal.open(dir);
    expect(reopened.inFlight).toEqual(batch);
    expect(reopened.cursor).toEqual({ segment: 1, offset: 112 });
    expect(reopened.cursorMeta).toEqual({ streams: { dm: 4 } });
    expect(await reopened.readRange(batch.from, batch.next)).toEqual([4, 5, 6].map(rec));

    await reopened.ack(batch.next, { streams: { dm: 7 } });
    expect(reopened.inFlight).toBeNull();
    expect(await cursorFile(dir)).toEqual({
      segment: 1,
      offset: 184,
      meta: { streams: { dm: 7 } },
    });
    await reopened.close();

    const again = await Journal.open(dir);
    expect(again.inFlight).toBeNull();
    expect(again.cursor).toEqual({ segment: 1, offset: 184 });
    await again.close();
  });

  it('takes meta as JSON text too: the agent writes every stream out directly, read back as it was', async () => {
    const dir = await tempDir();
    const journal = await Journal.open(dir);
    for (let i = 0; i < 6; i++) journal.append(rec(i));
    await journal.flush(true);
    const first = await journal.read(journal.cursor, 2 * 24);
    const streams = new Map([
      ['host-a.dm-1', 3],
      ['dm "quoted" ü\\', 0],
    ]);
    const following = { from: first.next, next: first.next, firstAttemptMs: 5 };
    await journal.ack(first.next, streamsMeta(streams), following);
    const expectedMeta = { streams: { 'host-a.dm-1': 3, 'dm "quoted" ü\\': 0 } };
    expect(await cursorFile(dir)).toEqual({
      segment: 1,
      offset: 64,
      meta: expectedMeta,
      inFlight: following,
    });
    // markInFlight keeps the acknowledged meta, still as text.
    await journal.markInFlight({ ...following, firstAttemptMs: 6 });
    expect(await cursorFile(dir)).toMatchObject({ meta: expectedMeta });
    await journal.close();
    const reopened = await Journal.open(dir);
    expect(reopened.cursorMeta).toEqual(expectedMeta);
    await reopened.close();
  });

  it('can be replaced by the next batch in the same cursor write as an ack', async () => {
    const dir = await tempDir();
    const journal = await Journal.open(dir);
    for (let i = 0; i < 6; i++) journal.append(rec(i));
    await journal.flush(true);
    const first = await journal.read(journal.cursor, 2 * 24);
    await journal.markInFlight({ from: journal.cursor, next: first.next, firstAttemptMs: 1 });
    const second = await journal.read(first.next, 1_000);
    const following = { from: first.next, next: second.next, firstAttemptMs: 2 };
    await journal.ack(first.next, { streams: { dm: 2 } }, following);

    expect(journal.inFlight).toEqual(following);
    expect(await cursorFile(dir)).toEqual({
      segment: 1,
      offset: 64,
      meta: { streams: { dm: 2 } },
      inFlight: {
        from: { segment: 1, offset: 64 },
        next: { segment: 1, offset: 160 },
        firstAttemptMs: 2,
      },
    });
    await journal.close();
    const reopened = await Journal.open(dir);
    expect(reopened.inFlight).toEqual(following);
    expect(await reopened.readRange(following.from, following.next)).toEqual([2, 3, 4, 5].map(rec));
    await reopened.close();
  });

  it('reads a range back exactly, also when it starts at the end of a segment', async () => {
    const dir = await tempDir();
    // Four 24-byte records per segment, after its 16-byte header.
    const journal = await Journal.open(dir, { segmentBytes: 16 + 96, fsyncIntervalMs: 0 });
    for (let i = 0; i < 12; i++) {
      journal.append(rec(i));
      await journal.flush(true);
    }
    // Batches as the shipper reads them; the second starts at the end of segment 1.
    const batches: Array<{ from: JournalPosition; next: JournalPosition; values: string[] }> = [];
    let pos = journal.cursor;
    for (const maxBytes of [96, 48, 1_000, 1_000]) {
      const { records, next } = await journal.read(pos, maxBytes);
      batches.push({ from: pos, next, values: records.map((r) => r.value.toString()) });
      pos = next;
    }
    expect(batches.map((b) => [b.from, b.next, b.values.length])).toEqual([
      [{ segment: 1, offset: 16 }, { segment: 1, offset: 112 }, 4],
      [{ segment: 1, offset: 112 }, { segment: 2, offset: 64 }, 2],
      [{ segment: 2, offset: 64 }, { segment: 2, offset: 112 }, 2],
      [{ segment: 2, offset: 112 }, { segment: 3, offset: 112 }, 4],
    ]);
    for (const b of batches) {
      const records = await journal.readRange(b.from, b.next);
      expect(records.map((r) => r.value.toString())).toEqual(b.values);
    }
    // A range of several segments, and an empty one.
    expect(await journal.readRange({ segment: 1, offset: 40 }, { segment: 3, offset: 64 })).toEqual(
      [1, 2, 3, 4, 5, 6, 7, 8, 9].map(rec),
    );
    expect(await journal.readRange({ segment: 2, offset: 64 }, { segment: 2, offset: 64 })).toEqual(
      [],
    );
    await journal.close();
  });

  it('is ignored on reopen unless it starts at the cursor', async () => {
    const dir = await tempDir();
    const journal = await Journal.open(dir);
    journal.append(rec(0));
    await journal.flush(true);
    const { next } = await journal.read(journal.cursor, 1_000);
    // The shipper marks only batches read from the cursor; any other mark names no batch.
    await journal.markInFlight({ from: next, next, firstAttemptMs: 1 });
    await journal.close();
    expect((await Journal.open(dir)).inFlight).toBeNull();
  });
});
