/**
 * Written, unacknowledged records kept in memory as the bytes they are, so the shipper takes
 * them from here instead of reading its own writes back from the segment file.
 *
 * Invariants:
 * - Runs are in journal order; each holds whole frames, back to back from `start`, exactly as
 *   they are in the segment file (a run is added only after its file write succeeded).
 * - What is read from here never goes past `limit` (the synced end of the segment): the tail
 *   may hold bytes the disk has not confirmed, and those must not be shipped.
 * - A tail of record objects outlived young-generation GCs and was most of what the agent
 *   promoted to the old one: hence byte runs, not objects.
 */
import type { FramedRecords } from '@magicport/bus';
import type { JournalPosition } from './journal-cursor';

export interface WrittenRun {
  segment: number;
  start: number;
  /** Offset after each record in the segment. */
  ends: number[];
  /** The frames as written, back to back from `start`; no frame spans two chunks. */
  chunks: Buffer[];
}

/** Index of the last element of ascending `values` that is <= `target` (-1 if none). */
function lastIndexAtMost(values: number[], target: number): number {
  let lo = 0;
  let hi = values.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (values[mid]! <= target) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/** Views of `run`'s written bytes in [from, to) (segment offsets) appended to `out`. */
function cutChunks(run: WrittenRun, from: number, to: number, out: Buffer[]): void {
  let chunkStart = run.start;
  for (const chunk of run.chunks) {
    const chunkEnd = chunkStart + chunk.length;
    if (chunkEnd > from && chunkStart < to)
      out.push(
        chunk.subarray(
          Math.max(from, chunkStart) - chunkStart,
          Math.min(to, chunkEnd) - chunkStart,
        ),
      );
    if (chunkEnd >= to) return;
    chunkStart = chunkEnd;
  }
}

export class MemoryTail {
  private runs: WrittenRun[] = [];
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  /** Keeps `run` if it fits (past the bound, records are read from the file when their turn comes). */
  add(run: WrittenRun, bytes: number): void {
    if (this.bytes + bytes > this.maxBytes) return;
    this.runs.push(run);
    this.bytes += bytes;
  }

  /** The frames from `pos` still in memory, ending at or before `limit`, up to `maxBytes` (at least one). */
  read(
    pos: JournalPosition,
    maxBytes: number,
    limit: number,
  ): { batch: FramedRecords; next: JournalPosition } | null {
    let r = this.runs.findIndex(
      (run) =>
        run.segment === pos.segment &&
        run.start <= pos.offset &&
        pos.offset < run.ends[run.ends.length - 1]!,
    );
    if (r < 0) return null;
    const chunks: Buffer[] = [];
    let count = 0;
    let offset = pos.offset;
    let run = this.runs[r]!;
    let i = run.start === offset ? 0 : lastIndexAtMost(run.ends, offset) + 1;
    if (i > 0 && run.ends[i - 1] !== offset) return null; // not a record boundary: the file says
    const stopAt = Math.min(limit, pos.offset + maxBytes);
    for (;;) {
      // This run's frames from i up to the last that ends by stopAt (at least one in all).
      let last = lastIndexAtMost(run.ends, stopAt);
      if (last < i) {
        if (count > 0 || run.ends[i]! > limit) break;
        last = i;
      }
      const end = run.ends[last]!;
      cutChunks(run, offset, end, chunks);
      count += last - i + 1;
      offset = end;
      if (last < run.ends.length - 1) break;
      const following = this.runs[++r];
      if (!following || following.segment !== run.segment || following.start !== offset) break;
      run = following;
      i = 0;
    }
    if (count === 0) return { batch: { chunks: [], count: 0 }, next: pos };
    return { batch: { chunks, count }, next: { segment: pos.segment, offset } };
  }

  /** Forgets records before `upTo` (acknowledged). */
  dropBefore(upTo: JournalPosition): void {
    while (this.runs.length > 0) {
      const run = this.runs[0]!;
      const end = run.ends[run.ends.length - 1]!;
      if (run.segment > upTo.segment || (run.segment === upTo.segment && end > upTo.offset)) break;
      this.runs.shift();
      this.bytes -= end - run.start;
    }
  }

  /** Forgets the runs of `segment` from `offset` on (written, then found not durable). */
  dropFrom(segment: number, offset: number): void {
    this.runs = this.runs.filter((run) => {
      if (run.segment !== segment || run.start < offset) return true;
      this.bytes -= run.ends[run.ends.length - 1]! - run.start;
      return false;
    });
  }
}
