/**
 * Journal positions: (segment number, byte offset in the segment file). A segment's first record
 * is after its header (segment-header.ts); offset 0 names the segment's start, read as its first
 * record.
 */
import type { JournalPosition } from './journal-cursor';
import { SEGMENT_HEADER_BYTES } from './segment-header';

export type { JournalPosition } from './journal-cursor';

/** Where a segment's first record starts: after its header. */
export const FIRST_RECORD = SEGMENT_HEADER_BYTES;

/** `pos`, or the segment's first record when it points into the header. */
export const atRecord = (pos: JournalPosition): JournalPosition =>
  pos.offset < FIRST_RECORD ? { segment: pos.segment, offset: FIRST_RECORD } : pos;

export const samePosition = (a: JournalPosition, b: JournalPosition) =>
  a.segment === b.segment && a.offset === b.offset;

export const before = (a: JournalPosition, b: JournalPosition) =>
  a.segment < b.segment || (a.segment === b.segment && a.offset < b.offset);

export const segmentName = (n: number) => `segment-${String(n).padStart(8, '0')}.log`;

/** Valid end of each segment still on disk (for a damaged one, where the damage starts). */
export type SegmentEnds = Map<number, number>;
