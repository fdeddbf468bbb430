import { mkdtemp, readdir, readFile, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Journal, type JournalPosition } from '../src/journal';

const rec = (i: number, size = 20) => ({ key: `vm-${i % 3}`, value: Buffer.alloc(size, i % 256) });
const tempDir = () => mkdtemp(join(tmpdir(), 'magicport-journal-'));

async function readAll(journal: Journal, from: JournalPosition = journal.cursor) {
  const out: Array<{ key: string; value: Buffer }> = [];
  let pos = from;
  for (;;) {
    const { records, next } = await journal.read(pos, 1000);
    if (records.length === 0) return { records: out, next };
    out.push(...records);
    pos = next;
  }
}

describe('Journal', () => {
  it('reads back exactly what was appended, in order, across segment rotation', async () => {
    const journal = await Journal.open(await tempDir(), { segmentBytes: 300, fsyncIntervalMs: 0 });
    for (let i = 0; i < 50; i++) journal.append(rec(i));
    await journal.flush(true);
    for (let i = 50; i < 100; i++) {
      journal.append(rec(i));
      await journal.flush(true);
    }
    const { records } = await readAll(journal);
    expect(records).toEqual(Array.from({ length: 100 }, (_, i) => rec(i)));
    await journal.close();
  });

  it('resumes after reopen at the acknowledged cursor and deletes delivered segments', async () => {
    const dir = await tempDir();
    const journal = await Journal.open(dir, { segmentBytes: 100, fsyncIntervalMs: 0 });
    for (let i = 0; i < 20; i++) {
      journal.append(rec(i));
      await journal.flush(true);
    }
    let pos = journal.cursor;
    const delivered: number[] = [];
    while (delivered.length < 12) {
      const { records, next } = await journal.read(pos, 1);
      delivered.push(records[0]!.value[0]!);
      pos = next;
    }
    await journal.ack(pos);
    expect(journal.drained).toBe(false);
    await journal.close();

    const reopened = await Journal.open(dir, { segmentBytes: 100, fsyncIntervalMs: 0 });
    expect(reopened.damage).toEqual([]);
    const { records, next } = await readAll(reopened);
    expect(records.map((r) => r.value[0])).toEqual([12, 13, 14, 15, 16, 17, 18, 19]);
    await reopened.ack(next);
    expect(reopened.drained).toBe(true);
    const segments = (await readdir(dir)).filter((f) => f.startsWith('segment-'));
    expect(segments).toHaveLength(1);
    await reopened.close();
  });

  it('detects a torn last record, reports it, keeps the records before it', async () => {
    const dir = await tempDir();
    const journal = await Journal.open(dir, { segmentBytes: 1 << 20, fsyncIntervalMs: 0 });
    for (let i = 0; i < 5; i++) journal.append(rec(i));
    await journal.flush(true);
    await journal.close();
    const file = join(dir, 'segment-00000001.log');
    const size = (await stat(file)).size;
    await truncate(file, size - 7);

    const reopened = await Journal.open(dir);
    expect(reopened.damage).toEqual([
      {
        file: 'segment-00000001.log',
        offset: 16 + 4 * 34, // after the segment header, four 34-byte frames
        reason: 'record of 26 bytes cut at 19',
        skippedBytes: 27,
      },
    ]);
    const { records } = await readAll(reopened);
    expect(records).toEqual([0, 1, 2, 3].map((i) => rec(i)));
    reopened.append(rec(99));
    await reopened.flush(true);
    expect((await readAll(reopened)).records.map((r) => r.value[0])).toEqual([0, 1, 2, 3, 99]);
    await reopened.close();
  });

  it('stops at a record whose checksum does not match', async () => {
    const dir = await tempDir();
    const journal = await Journal.open(dir, { segmentBytes: 1 << 20, fsyncIntervalMs: 0 });
    for (let i = 0; i < 3; i++) journal.append(rec(i));
    await journal.close();
    const file = join(dir, 'segment-00000001.log');
    const bytes = await readFile(file);
    // A value byte of the second record (frames are 34 bytes, after the 16-byte segment header).
    bytes.writeUInt8(bytes.readUInt8(16 + 34 + 20) ^ 0xff, 16 + 34 + 20);
    await writeFile(file, bytes);
    const reopened = await Journal.open(dir);
    expect(reopened.damage).toEqual([
      {
        file: 'segment-00000001.log',
        offset: 16 + 34,
        reason: 'checksum mismatch',
        skippedBytes: 68,
      },
    ]);
    expect((await readAll(reopened)).records).toEqual([rec(0)]);
    await reopened.close();
  });

  it('reads a record larger than the read chunk', async () => {
    const journal = await Journal.open(await tempDir());
    journal.append(rec(1, 200_000));
    journal.append(rec(2));
    await journal.flush(true);
    const first = await journal.read(journal.cursor, 10);
    expect(first.records).toHaveLength(1);
    expect(first.records[0]!.key).toBe('vm-1');
    expect(first.records[0]!.value.equals(rec(1, 200_000).value)).toBe(true);
    const second = await journal.read(first.next, 10);
    expect(second.records).toEqual([rec(2)]);
    await journal.close();
  });
});

describe('Journal memory tail', () => {
  /** Appends in uneven flushes, text and byte values, then reads in batches of `maxBytes`. */
  async function run(memoryTailBytes: number, maxBytes: number) {
    const journal = await Journal.open(await tempDir(), {
      segmentBytes: 2_000,
      fsyncIntervalMs: 0,
      memoryTailBytes,
    });
    const entries = Array.from({ length: 120 }, (_, i) =>
      i % 2 === 0
        ? { key: `vm-${i % 5}`, value: `{"n":${i},"t":"é${'x'.repeat(i % 40)}"}` }
        : rec(i, 1 + ((i * 7) % 90)),
    );
    const batches: Array<{ values: string[]; next: JournalPosition }> = [];
    let pos = journal.cursor;
    for (let i = 0; i < entries.length; i++) {
      journal.append(entries[i]!);
      if (i % 7 !== 6) continue;
      await journal.flush(true);
      for (;;) {
        const { records, next } = await journal.read(pos, maxBytes);
        if (records.length === 0) break;
        batches.push({
          values: records.map((r) => `${r.key}=${r.value.toString('latin1')}`),
          next,
        });
        pos = next;
        if (batches.length % 3 === 0) await journal.ack(pos);
      }
    }
    await journal.close();
    const expected = entries
      .slice(0, 119)
      .map(
        (e) =>
          `${e.key}=${(typeof e.value === 'string' ? Buffer.from(e.value) : e.value).toString('latin1')}`,
      );
    return { batches, expected };
  }

  it('hands the shipper the same records and positions from memory as from the file', async () => {
    for (const maxBytes of [1, 150, 700]) {
      const fromFile = await run(0, maxBytes);
      const fromMemory = await run(32 * 1024 * 1024, maxBytes);
      expect(fromMemory.batches).toEqual(fromFile.batches);
      expect(fromMemory.batches.flatMap((b) => b.values)).toEqual(fromFile.expected);
    }
  });

  it('falls back to the file for what did not fit in memory', async () => {
    const small = await run(600, 150);
    const fromFile = await run(0, 150);
    expect(small.batches).toEqual(fromFile.batches);
  });
});
