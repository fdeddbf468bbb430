import { parseDmLogLine } from './dm-log-line';
import type { LineAt } from './tap-report';
import { parseTraceLine } from './trace-line';

export type TapFormat = 'qemu-trace' | 'qemu-dm';

/** Lines held while the format is unknown; then the default (qemu-trace) is assumed. */
export const DETECT_MAX_LINES = 10_000;
const DETECT_MAX_BYTES = 4 * 1024 * 1024;
const TRACE_PREFIX = /^(?:\d+@\d+\.\d{6}:|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z )/;

/** The format a line proves, if any: a trace event or prefix, or a qemu-dm platform message. */
export function formatEvidence(text: string): TapFormat | null {
  const trace = parseTraceLine(text);
  if (trace.kind === 'access' || trace.kind === 'guest-log' || TRACE_PREFIX.test(text))
    return 'qemu-trace';
  const dm = parseDmLogLine(text);
  if (dm.kind === 'product' || dm.kind === 'build' || dm.kind === 'dm-message') return 'qemu-dm';
  if (dm.kind === 'guest' && dm.throttled) return 'qemu-dm';
  return null;
}

export interface HeldLine {
  text: string;
  at: LineAt;
}

export interface Detection {
  format: TapFormat;
  /** The lines held while deciding, in order, to be fed now. */
  lines: HeldLine[];
  /** No line proved a format: the default was assumed. */
  assumed: boolean;
}

/** `--format auto`: holds lines until one proves the format (bounded), then hands them back. */
export class FormatDetector {
  private held: HeldLine[] = [];
  private heldBytes = 0;

  offer(text: string, at: LineAt): Detection | null {
    this.held.push({ text, at });
    this.heldBytes += text.length;
    const format = formatEvidence(text);
    if (format) return this.take(format, false);
    if (this.held.length >= DETECT_MAX_LINES || this.heldBytes >= DETECT_MAX_BYTES)
      return this.take('qemu-trace', true);
    return null;
  }

  /** End of input before any proof. */
  decideNow(): Detection {
    return this.take('qemu-trace', true);
  }

  private take(format: TapFormat, assumed: boolean): Detection {
    const lines = this.held;
    this.held = [];
    this.heldBytes = 0;
    return { format, lines, assumed };
  }
}
