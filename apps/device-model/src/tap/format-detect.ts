import type { ProfileName } from '@magicport/protocol';
import { CONSOLE_PREFIX } from './console-line';
import { parseDmLogLine } from './dm-log-line';
import { StubdomState } from './stubdom-lines';
import type { LineAt } from './tap-report';
import { parseTraceLine } from './trace-line';

/**
 * - `qemu-trace`: QEMU's `log` trace backend output;
 * - `qemu-dm`: a qemu-xen-traditional log (`qemu-dm-<domain>.log`);
 * - `qubes-stubdom`: a device-model stubdomain's console log with xenconsoled's timestamps
 *   (Qubes `guest-NAME-dm.log`), holding either of the above behind the prefix.
 */
export type TapFormat = 'qemu-trace' | 'qemu-dm' | 'qubes-stubdom';
export const TAP_FORMATS: readonly TapFormat[] = ['qemu-trace', 'qemu-dm', 'qubes-stubdom'];

/** Lines held while the format is unknown; then the default (qemu-trace) is assumed. */
export const DETECT_MAX_LINES = 10_000;
const DETECT_MAX_BYTES = 4 * 1024 * 1024;
const TRACE_PREFIX = /^(?:\d+@\d+\.\d{6}:|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z )/;

/** The format a line proves, if any: a trace event or prefix, or a qemu-dm platform message. */
export function formatEvidence(text: string): Exclude<TapFormat, 'qubes-stubdom'> | null {
  const trace = parseTraceLine(text);
  if (trace.kind === 'access' || trace.kind === 'guest-log' || TRACE_PREFIX.test(text))
    return 'qemu-trace';
  const dm = parseDmLogLine(text);
  if (dm.kind === 'product' || dm.kind === 'build' || (dm.kind === 'dm-message' && dm.platform))
    return 'qemu-dm';
  if (dm.kind === 'guest' && dm.throttled) return 'qemu-dm';
  return null;
}

/** Which device model a stubdomain console line shows: upstream QEMU or qemu-traditional. */
function stubdomEvidence(body: string): ProfileName | null {
  const state = new StubdomState();
  state.see(body);
  if (state.kind === 'linux') return 'qemu-upstream';
  if (state.kind === 'mini-os') return 'qemu-traditional';
  const format = formatEvidence(body);
  if (format === 'qemu-trace') return 'qemu-upstream';
  if (format === 'qemu-dm') return 'qemu-traditional';
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
  /** The line that proved it (null when assumed). */
  provedBy: LineAt | null;
  /** A stubdomain console's device model, when its lines showed it. */
  profile: ProfileName | null;
}

/** `--format auto`: holds lines until one proves the format (bounded), then hands them back. */
export class FormatDetector {
  private held: HeldLine[] = [];
  private heldBytes = 0;
  /** A console prefix was seen: the format is known, its device model not yet. */
  private console: LineAt | null = null;
  private lines = 0;

  /** `hold` false: only decides (a given format is read meanwhile), the lines are not kept. */
  constructor(private readonly hold = true) {}

  offer(text: string, at: LineAt): Detection | null {
    this.lines++;
    if (this.hold) this.held.push({ text, at });
    this.heldBytes += text.length;
    const prefix = CONSOLE_PREFIX.exec(text);
    if (prefix) {
      this.console ??= at;
      const profile = stubdomEvidence(text.slice(prefix[0].length).replace(/\r$/, ''));
      if (profile) return this.take('qubes-stubdom', this.console, profile);
    } else if (this.console === null) {
      const format = formatEvidence(text);
      if (format) return this.take(format, at, null);
    }
    if (this.lines >= DETECT_MAX_LINES || this.heldBytes >= DETECT_MAX_BYTES)
      return this.decideNow();
    return null;
  }

  /** End of input (or of patience) before any proof. */
  decideNow(): Detection {
    if (this.console) return this.take('qubes-stubdom', this.console, null);
    return this.take('qemu-trace', null, null);
  }

  private take(format: TapFormat, provedBy: LineAt | null, profile: ProfileName | null) {
    const lines = this.held;
    this.held = [];
    this.heldBytes = 0;
    this.lines = 0;
    return { format, lines, assumed: provedBy === null, provedBy, profile };
  }
}
