import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { readFrame } from '../../apps/device-model/src/journal';
import { SEGMENT_HEADER_BYTES } from '../../apps/device-model/src/journal/segment-header';

export interface JournalPosition {
  segment: number;
  offset: number;
}

export interface JournalCursor extends JournalPosition {
  meta?: { streams?: Record<string, number> };
  /** The batch the shipper was sending, not acknowledged yet: records in [from, next). */
  inFlight?: { from: JournalPosition; next: JournalPosition; firstAttemptMs: number };
}

export interface UndeliveredFrame {
  file: string;
  segment: number;
  offset: number;
  /** Frame length on disk, header included. */
  bytes: number;
  key: string;
  value: Buffer;
}

export interface JournalDamage {
  file: string;
  offset: number;
  reason: string;
  /** Bytes from the damage to the end of the file. */
  skippedBytes: number;
}

export interface JournalFiles {
  cursor: JournalCursor | null;
  segmentFiles: string[];
  /** Valid records after the cursor (written, not acknowledged as delivered), in journal order. */
  undelivered: UndeliveredFrame[];
  undeliveredBytes: number;
  damage: JournalDamage[];
}

const segmentPattern = /^segment-(\d+)\.log$/;

/**
 * Reads an agent journal directory the way the agent recovers it, without touching it (opening
 * it with the Journal class would start a new segment file).
 */
export async function inspectJournal(dir: string): Promise<JournalFiles> {
  const cursor = await readFile(join(dir, 'cursor.json'), 'utf8').then(
    (text) => JSON.parse(text) as JournalCursor,
    () => null,
  );
  const from = cursor ?? { segment: 1, offset: 0 };
  const segmentFiles = await segmentsOf(dir);
  const undelivered: UndeliveredFrame[] = [];
  const damage: JournalDamage[] = [];
  for (const file of segmentFiles) {
    const n = Number(segmentPattern.exec(file)![1]);
    if (n < from.segment) continue;
    const buf = await readFile(join(dir, file));
    // Records follow the segment header (an empty file has none yet).
    let offset = Math.min(buf.length, SEGMENT_HEADER_BYTES);
    for (;;) {
      const frame = readFrame(buf, offset);
      if (frame.kind === 'end') break;
      if (frame.kind === 'torn') {
        damage.push({ file, offset, reason: frame.reason, skippedBytes: buf.length - offset });
        break;
      }
      if (n > from.segment || offset >= from.offset) {
        const { key, value } = frame.record;
        undelivered.push({ file, segment: n, offset, bytes: frame.next - offset, key, value });
      }
      offset = frame.next;
    }
  }
  const undeliveredBytes = undelivered.reduce((sum, f) => sum + f.bytes, 0);
  return { cursor, segmentFiles, undelivered, undeliveredBytes, damage };
}

/** Whether the cursor file says a first batch was acknowledged (delivered). */
export async function acknowledgedAny(dir: string): Promise<boolean> {
  const cursor = await readFile(join(dir, 'cursor.json'), 'utf8').then(
    (text) => JSON.parse(text) as JournalCursor,
    () => null,
  );
  return cursor !== null && (cursor.segment > 1 || cursor.offset > SEGMENT_HEADER_BYTES);
}

/** The undelivered records of the batch in flight (none when no batch was). */
export function inFlightFrames(files: JournalFiles): UndeliveredFrame[] {
  const batch = files.cursor?.inFlight;
  if (!batch) return [];
  const at = (f: UndeliveredFrame) => ({ segment: f.segment, offset: f.offset });
  return files.undelivered.filter((f) => !before(at(f), batch.from) && before(at(f), batch.next));
}

const before = (a: JournalPosition, b: JournalPosition) =>
  a.segment < b.segment || (a.segment === b.segment && a.offset < b.offset);

/** Bytes of all segment files: grows with every journaled event until delivery deletes some. */
export async function journalBytesOnDisk(dir: string): Promise<number> {
  let total = 0;
  for (const file of await segmentsOf(dir)) {
    // Delivery may delete a finished segment between the listing and the stat.
    total += (await stat(join(dir, file)).catch(() => ({ size: 0 }))).size;
  }
  return total;
}

async function segmentsOf(dir: string): Promise<string[]> {
  const files = await readdir(dir).catch(() => [] as string[]);
  return files.filter((f) => segmentPattern.test(f)).sort();
}

/**
 * What an agent opening this journal says about it (damaged tails, then the backlog); what it
 * says about a batch in flight depends on the topic, see `inFlightReport`.
 */
export function agentJournalReport(files: JournalFiles): string[] {
  const lines = files.damage.map(
    (d) =>
      `journal ${d.file}: damaged record at byte ${d.offset} (${d.reason}); skipped ${d.skippedBytes} bytes, the records before it are kept`,
  );
  if (files.undeliveredBytes > 0)
    lines.push(
      `journal holds ${files.undeliveredBytes} undelivered bytes from before; delivering them first`,
    );
  return lines;
}

/** What the agent says after checking the topic for the batch in flight, `found` of it there. */
export function inFlightReport(found: number, of: number): string {
  return `journal: batch in flight at the crash: ${found} of ${of} records already on the topic, sent the other ${of - found}`;
}
