import type { GuestLogLine } from '../types';
import type { LineLimiter } from './log-rate-limit';
import { logLineText } from './log-text';

/** Both device models: `char log_buffer[4096]`, flushed at '\n' or with 4095 bytes stored. */
export const LOG_BUFFER_SIZE = 4096;
const NEWLINE = 0x0a;
/**
 * The buffer's first size: V8 keeps a typed array this small on the heap. A larger one has an
 * external backing store, and allocating one per guest made session creation GC-bound.
 */
const FIRST_BUFFER_SIZE = 64;
const NO_BYTES = new Uint8Array(0);

/**
 * Flushed lines' bytes are views into shared slabs: a typed array over 64 bytes allocated on
 * its own gets an external backing store, whose allocation and sweeping cost more than the
 * copy (a log flood flushes a line every ~200 bytes). A slab lives while any of its lines does.
 */
const SLAB_SIZE = 64 * 1024;
let slab = new Uint8Array(SLAB_SIZE);
let slabUsed = 0;

function copyOut(source: Uint8Array, count: number): Uint8Array {
  if (count <= FIRST_BUFFER_SIZE) return source.slice(0, count);
  if (slabUsed + count > SLAB_SIZE) {
    slab = new Uint8Array(SLAB_SIZE);
    slabUsed = 0;
  }
  const out = slab.subarray(slabUsed, slabUsed + count);
  out.set(source.subarray(0, count));
  slabUsed += count;
  return out;
}

/** A reassembled guest log line with what a recorder needs to keep its accesses losslessly. */
export interface AssembledLogLine extends GuestLogLine {
  /** What the reference prints: up to the first NUL, UTF-8 with U+FFFD for invalid bytes. */
  text: string;
  /** The handshake open when the line's first byte came in, or null. */
  handshakeId: number | null;
  /** Event time of the line's first and last byte access (the last is the flushing byte). */
  firstUs: number;
  lastUs: number;
  /** Log byte accesses that made this line, flushing byte included. */
  accessCount: number;
  /** Every byte the guest wrote for this line in order: stored bytes plus the flushing byte
   *  ('\n', or the byte the full buffer dropped). */
  wireBytes: Uint8Array;
  /** spec limiter: lines and bytes dropped since the previous emitted line. */
  droppedBefore: { lines: number; bytes: number };
  /** qemu-traditional: how long its throttle() would have stalled the guest for this line. */
  throttledMs: number;
}

/** A line still in the buffer (the reference prints nothing until it flushes). */
export interface PendingLogLine {
  bytes: Uint8Array;
  wireBytes: Uint8Array;
  handshakeId: number | null;
  firstUs: number;
  lastUs: number;
}

export interface LogLineSink {
  emit(line: AssembledLogLine): void;
  /** Lines the limiter dropped (spec), for recorders that keep every access. */
  drop?(line: AssembledLogLine): void;
}

/**
 * Assembles log bytes into lines in one buffer: no allocation until a line flushes. The
 * buffer holds every byte the guest wrote for the line (the reference's stored bytes, then
 * the flushing byte); it is allocated at the first byte and grows to 4096 bytes for long
 * lines, because every guest gets an assembler, many never log and most lines are short.
 */
export class LogAssembler {
  private wire = NO_BYTES;
  /** Bytes the reference's buffer holds: the first `stored` of `wire`. */
  private stored = 0;
  private wireCount = 0;
  private firstUs = 0;
  private lastUs = 0;
  private handshakeId: number | null = null;
  private droppedLines = 0;
  private droppedBytes = 0;

  constructor(
    private readonly limiter: LineLimiter,
    private readonly sink: LogLineSink,
  ) {}

  push(byte: number, timeUs: number, handshakeId: number | null): void {
    if (this.wireCount === 0) {
      this.firstUs = timeUs;
      this.handshakeId = handshakeId;
    }
    if (this.wireCount === this.wire.length) this.grow();
    this.wire[this.wireCount++] = byte;
    this.lastUs = timeUs;
    if (byte === NEWLINE || this.stored === LOG_BUFFER_SIZE - 1) {
      this.flush(byte !== NEWLINE, timeUs);
      return;
    }
    this.stored++;
  }

  /** Bytes of the line still in the buffer (flushing byte excluded): no copy, unlike `pending`. */
  pendingCount(): number {
    return this.wireCount;
  }

  pending(): PendingLogLine | null {
    if (this.wireCount === 0) return null;
    const wireBytes = this.wire.slice(0, this.wireCount);
    return {
      bytes: wireBytes.subarray(0, this.stored),
      wireBytes,
      handshakeId: this.handshakeId,
      firstUs: this.firstUs,
      lastUs: this.lastUs,
    };
  }

  /** Always <= 4096 bytes, whatever the guest writes. */
  retained(): number {
    return this.wire.length;
  }

  private grow(): void {
    const size = Math.max(FIRST_BUFFER_SIZE, this.wire.length * 2);
    const grown = new Uint8Array(Math.min(LOG_BUFFER_SIZE, size));
    grown.set(this.wire);
    this.wire = grown;
  }

  private flush(truncated: boolean, timeUs: number): void {
    const count = this.stored;
    const stallUs = this.limiter.admit(count, timeUs);
    if (stallUs < 0) {
      if (this.sink.drop) this.sink.drop(this.line(truncated, 0));
      this.droppedLines++;
      this.droppedBytes += count;
    } else {
      this.sink.emit(this.line(truncated, stallUs / 1000));
      this.droppedLines = 0;
      this.droppedBytes = 0;
    }
    this.stored = 0;
    this.wireCount = 0;
  }

  private line(truncated: boolean, throttledMs: number): AssembledLogLine {
    // One copy for both: the stored bytes are the wire bytes but the flushing one.
    const wireBytes = copyOut(this.wire, this.wireCount);
    const bytes = wireBytes.subarray(0, this.stored);
    return {
      bytes,
      truncated,
      text: logLineText(bytes),
      handshakeId: this.handshakeId,
      firstUs: this.firstUs,
      lastUs: this.lastUs,
      accessCount: this.wireCount,
      wireBytes,
      droppedBefore: { lines: this.droppedLines, bytes: this.droppedBytes },
      throttledMs,
    };
  }
}
