/**
 * Recovery on open: which segments are there, where each one's sound records end, and where the
 * cursor really is.
 *
 * Invariants:
 * - Segments before the cursor's are delivered: deleted (then the directory fsynced).
 * - Every other segment is scanned in bounded reads (segment-scan.ts); a damaged one ends at its
 *   first bad frame, reported; a segment in a format this agent does not read stops the open
 *   with JournalFormatError, naming it, instead of skipping its records as damage.
 * - New records go to a fresh segment after all of them, never after a damaged tail.
 * - A cursor past its segment's data (lost in a power cut before the journal fsynced it) or in
 *   a vanished segment moves to where records can still be: nothing there to deliver.
 */
import { join } from 'node:path';
import type { JournalFs } from './journal-fs';
import {
  FIRST_RECORD,
  segmentName,
  type JournalPosition,
  type SegmentEnds,
} from './journal-position';
import { JournalFormatError } from './segment-header';
import { scanSegment } from './segment-scan';

export interface JournalDamage {
  file: string;
  offset: number;
  reason: string;
  skippedBytes: number;
}

export interface Recovered {
  ends: SegmentEnds;
  damage: JournalDamage[];
  /** The segment new records go to. */
  nextSegment: number;
  cursor: JournalPosition;
}

export async function recoverSegments(
  fs: JournalFs,
  dir: string,
  cursor: JournalPosition,
): Promise<Recovered> {
  const numbers = (await fs.readdir(dir))
    .map((f) => /^segment-(\d+)\.log$/.exec(f)?.[1])
    .filter((n): n is string => n !== undefined)
    .map(Number)
    .sort((a, b) => a - b);
  const ends: SegmentEnds = new Map();
  const damage: JournalDamage[] = [];
  let deleted = false;
  for (const n of numbers) {
    const name = segmentName(n);
    if (n < cursor.segment) {
      await fs.unlink(join(dir, name));
      deleted = true;
      continue;
    }
    const file = await fs.open(join(dir, name), 'r');
    try {
      const scan = await scanSegment(file);
      if ('unknownFormat' in scan) throw new JournalFormatError(dir, name, scan.unknownFormat);
      if (scan.damage) damage.push({ file: name, offset: scan.end, ...scan.damage });
      ends.set(n, scan.end);
    } finally {
      await file.close();
    }
  }
  if (deleted) await fs.syncDir(dir);
  const nextSegment =
    numbers.length > 0
      ? Math.max(cursor.segment, numbers[numbers.length - 1]! + 1)
      : cursor.segment;
  const cursorEnd = ends.get(cursor.segment);
  if (cursorEnd === undefined) cursor = { segment: nextSegment, offset: FIRST_RECORD };
  else if (cursorEnd < cursor.offset)
    cursor = { segment: cursor.segment + 1, offset: FIRST_RECORD };
  return { ends, damage, nextSegment, cursor };
}
