/**
 * Who wrote a line of a device-model log: the guest (its text reached the log port), the device
 * model (its own messages, trace events, its stubdomain's system), or no one can tell.
 */
export type LineClass = 'guest' | 'device-model' | 'unattributed';

/** Where a line came from: its number in the current file, and which file since the start. */
export interface LineAt {
  /** 1-based, over everything tapped (the synthetic clock counts these). */
  lineNo: number;
  /** 1-based within the current file. */
  fileLine: number;
  /** 0 for the file as first opened, +1 after each rotation or truncation. */
  generation: number;
}

export interface TapIssue {
  line: number;
  /** 0 = the file as first opened; n = after the n-th rotation or truncation. */
  generation: number;
  kind: 'unparseable' | 'log-mismatch';
  reason: string;
}

/** Kept with line numbers; beyond this only counted (a junk file must not fill memory). */
export const MAX_LISTED_ISSUES = 100;

/** What a tap read and what it made of it; printed as the end-of-run summary. */
export class TapReport {
  lines = 0;
  bytes = 0;
  events = 0;
  accesses = 0;
  /** Guest lines published from their text (xen_platform_log only, qemu-dm logs). */
  logLinesFromText = 0;
  /** xen_platform_log lines compared with the line rebuilt from the byte accesses. */
  logLinesChecked = 0;
  logMismatches = 0;
  /** qemu-dm lines that stated a protocol fact and became inferred accesses. */
  inferredFacts = 0;
  /** qemu-dm's own messages and trace events that carry nothing to record. */
  otherLines = 0;
  /** Every line but the unparseable ones, by who wrote it (see README "Who wrote a line"). */
  guestLines = 0;
  deviceModelLines = 0;
  /** Published as guest.log with `attribution: 'unattributed'`. */
  unattributedLines = 0;
  throttleNotices = 0;
  unparseable = 0;
  /** Lines without a prefix time, timed by the synthetic clock (see LineClock). */
  syntheticTimes = 0;
  rotations = 0;
  truncations = 0;
  readonly issues: TapIssue[] = [];

  /** Sees each line's class as it is decided (the samples' line-by-line checks use it). */
  onLine: ((at: LineAt, lineClass: LineClass | 'unparseable') => void) | null = null;

  unparseableLine(at: LineAt, reason: string): void {
    this.unparseable++;
    this.list(at, 'unparseable', reason);
    this.onLine?.(at, 'unparseable');
  }

  /** Who wrote a line that was read. */
  lineClass(at: LineAt, lineClass: LineClass): void {
    if (lineClass === 'guest') this.guestLines++;
    else if (lineClass === 'device-model') this.deviceModelLines++;
    else this.unattributedLines++;
    this.onLine?.(at, lineClass);
  }

  logMismatch(at: LineAt, reason: string): void {
    this.logMismatches++;
    this.list(at, 'log-mismatch', reason);
  }

  /**
   * Why nothing from a non-empty input was recognised, or null: every line unparseable, or no
   * port access and no guest line (a wrong `--format`, a file of another kind, random bytes).
   */
  nothingRecognised(): string | null {
    if (this.lines === 0) return null;
    if (this.unparseable === this.lines)
      return `every one of the ${this.lines} lines is unparseable`;
    if (this.accesses === 0 && this.guestLines === 0)
      return `no port access and no guest line in ${this.lines} lines`;
    return null;
  }

  /** Human summary lines (stderr): counts, then each listed issue with its line number. */
  summary(): string[] {
    const lines = [
      `${this.lines} lines, ${this.bytes} bytes: ${this.accesses} port accesses, ` +
        `${this.logLinesFromText} guest lines from text, ${this.inferredFacts} inferred facts, ` +
        `${this.otherLines} other, ${this.unparseable} unparseable; ${this.events} events`,
    ];
    lines.push(
      `by writer: ${this.guestLines} guest, ${this.deviceModelLines} device-model, ${this.unattributedLines} unattributed (kept as guest.log marked unattributed)`,
    );
    if (this.logLinesChecked > 0 || this.logMismatches > 0)
      lines.push(
        `xen_platform_log cross-check: ${this.logLinesChecked} lines checked against the byte accesses, ${this.logMismatches} mismatches`,
      );
    if (this.rotations + this.truncations > 0)
      lines.push(`followed ${this.rotations} rotations and ${this.truncations} truncations`);
    if (this.throttleNotices > 0)
      lines.push(`qemu-dm throttled guest logging (${this.throttleNotices} notices)`);
    for (const issue of this.issues) lines.push(describeIssue(issue));
    const unlisted = this.unparseable + this.logMismatches - this.issues.length;
    if (unlisted > 0) lines.push(`... and ${unlisted} more`);
    return lines;
  }

  toJSON() {
    // eslint-disable-next-line @typescript-eslint/no-unused-vars
    const { issues, onLine, ...counts } = this;
    return { ...counts, issues };
  }

  private list(at: LineAt, kind: TapIssue['kind'], reason: string): void {
    if (this.issues.length < MAX_LISTED_ISSUES)
      this.issues.push({ line: at.fileLine, generation: at.generation, kind, reason });
  }
}

function describeIssue(issue: TapIssue): string {
  const where =
    issue.generation === 0
      ? `line ${issue.line}`
      : `line ${issue.line} of the file after rotation/truncation ${issue.generation}`;
  return `${where}: ${issue.kind === 'unparseable' ? 'unparseable' : 'log mismatch'}, ${issue.reason}`;
}
