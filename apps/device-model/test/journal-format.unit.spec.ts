/**
 * The segment header: a format version a later change can be told by. Before it, a segment in
 * another format was read as frames, found "damaged" at its first byte and its records skipped.
 */
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Journal, JournalFormatError } from '../src/journal';
import { segmentHeader } from '../src/journal/segment-header';

const tempDir = () => mkdtemp(join(tmpdir(), 'magicport-journal-format-'));
const SEGMENT = 'segment-00000001.log';

/** A closed journal holding three records, and the bytes of its segment file. */
async function journalOfThree() {
  const dir = await tempDir();
  const journal = await Journal.open(dir);
  for (const value of ['one', 'two', 'three']) journal.append({ key: 'vm-1', value });
  await journal.close();
  return { dir, bytes: await readFile(join(dir, SEGMENT)) };
}

const values = async (journal: Journal) =>
  (await journal.read(journal.cursor, 1 << 20)).records.map((r) => r.value.toString());

describe('journal segment header', () => {
  it('starts every segment: magic, format version 1, checksum; the first record at byte 16', async () => {
    const { dir, bytes } = await journalOfThree();
    expect(bytes.subarray(0, 8).toString('latin1')).toBe('MPJOURNL');
    expect(bytes.readUInt32LE(8)).toBe(1);
    expect(bytes.subarray(0, 16).equals(segmentHeader(1))).toBe(true);
    // The first frame: payload length 2 + 4 + 3, then its key right after the frame header.
    expect(bytes.readUInt32LE(16)).toBe(9);
    expect(bytes.subarray(16 + 10, 16 + 14).toString()).toBe('vm-1');
    const reopened = await Journal.open(dir);
    expect(reopened.damage).toEqual([]);
    expect(reopened.cursor).toEqual({ segment: 1, offset: 16 });
    expect(await values(reopened)).toEqual(['one', 'two', 'three']);
    await reopened.close();
  });

  it('refuses a segment of another format version by name, not as damage, and touches nothing', async () => {
    const { dir, bytes } = await journalOfThree();
    const later = Buffer.concat([segmentHeader(2), bytes.subarray(16)]);
    await writeFile(join(dir, SEGMENT), later);
    const error = await Journal.open(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JournalFormatError);
    expect((error as Error).message).toBe(
      `journal ${dir}: ${SEGMENT} cannot be read: it is in journal format version 2, this agent ` +
        `reads version 1. The agent does not start rather than skip its records. Deliver them ` +
        `with the magicport version that wrote the journal, or move the journal directory aside ` +
        `to start a fresh one (its undelivered records are then not sent and its streams start over).`,
    );
    // Nothing written, nothing deleted, and the lock let go: the right version opens it.
    expect((await readFile(join(dir, SEGMENT))).equals(later)).toBe(true);
    expect(await readdir(dir)).toEqual([SEGMENT]);
    await writeFile(join(dir, SEGMENT), bytes);
    const reopened = await Journal.open(dir);
    expect(await values(reopened)).toEqual(['one', 'two', 'three']);
    await reopened.close();
  });

  it('refuses a segment without the magic (a journal from before versions) the same way', async () => {
    const { dir, bytes } = await journalOfThree();
    await writeFile(join(dir, SEGMENT), bytes.subarray(16)); // frames from byte 0, as before
    await expect(Journal.open(dir)).rejects.toThrow(
      `journal ${dir}: ${SEGMENT} cannot be read: it does not start with the segment magic (a journal from before format versions, or not a journal segment).`,
    );
  });

  it('control: a header cut short by a crash is damage (reported, skipped), not a format refusal', async () => {
    const { dir, bytes } = await journalOfThree();
    await writeFile(join(dir, SEGMENT), bytes.subarray(0, 10));
    const reopened = await Journal.open(dir);
    expect(reopened.damage).toEqual([
      {
        file: SEGMENT,
        offset: 0,
        reason: 'segment header cut at 10 of 16 bytes',
        skippedBytes: 10,
      },
    ]);
    expect(await values(reopened)).toEqual([]);
    reopened.append({ key: 'vm-1', value: 'four' });
    await reopened.flush(true);
    expect(await values(reopened)).toEqual(['four']);
    await reopened.close();
  });
});
