/**
 * Records appended and not yet written to the file, encoded as frames into slabs.
 *
 * Invariants:
 * - Frames stay in append order; `take` hands out everything queued as one run and empties the
 *   queue; `requeue` puts runs back in front of what was appended since, in their order (a
 *   failed write's records are written again before any later one).
 * - A frame is encoded once, into a slab (text values straight as UTF-8): no buffer of its own,
 *   nothing copied again until written. A record larger than a slab gets a slab of its own.
 */
import { frameBound, writeFrame, type JournalEntry } from './frame';

/** Frames are encoded into slabs of this size. */
const SLAB_BYTES = 1024 * 1024;

/** Frames waiting for the file (or written and not yet confirmed by an fsync). */
export interface FrameRun {
  chunks: Buffer[];
  /** Offset after each frame, from the run's start. */
  ends: number[];
  bytes: number;
}

export class FrameQueue {
  /** Filled slabs, then the current slab's new part. */
  private sealed: Buffer[] = [];
  private slab = Buffer.allocUnsafe(0);
  private slabStart = 0;
  private slabUsed = 0;
  private ends: number[] = [];
  private queued = 0;

  /** Bytes of frames queued. */
  get bytes(): number {
    return this.queued;
  }

  /** Queues `entry` as a frame; returns the frame's size. */
  append(entry: JournalEntry): number {
    const bound = frameBound(entry);
    if (this.slabUsed + bound > this.slab.length) {
      if (this.slabUsed > this.slabStart)
        this.sealed.push(this.slab.subarray(this.slabStart, this.slabUsed));
      this.slab = Buffer.allocUnsafe(Math.max(SLAB_BYTES, bound));
      this.slabStart = this.slabUsed = 0;
    }
    const at = this.slabUsed;
    const end = writeFrame(this.slab, at, entry);
    this.slabUsed = end;
    this.queued += end - at;
    this.ends.push(this.queued);
    return end - at;
  }

  /** Everything queued, as one run for the file. */
  take(): FrameRun {
    const chunks = this.sealed;
    if (this.slabUsed > this.slabStart)
      chunks.push(this.slab.subarray(this.slabStart, this.slabUsed));
    const run = { chunks, ends: this.ends, bytes: this.queued };
    this.sealed = [];
    this.slabStart = this.slabUsed;
    this.ends = [];
    this.queued = 0;
    return run;
  }

  /** Puts `runs` back in front of what is queued, in order (for the next write). */
  requeue(runs: FrameRun[]): void {
    let bytes = 0;
    const chunks: Buffer[] = [];
    const ends: number[] = [];
    for (const run of runs) {
      for (const e of run.ends) ends.push(bytes + e);
      chunks.push(...run.chunks);
      bytes += run.bytes;
    }
    for (const e of this.ends) ends.push(bytes + e);
    this.sealed = [...chunks, ...this.sealed];
    this.ends = ends;
    this.queued += bytes;
  }
}
