import type { ProfileName } from '@magicport/protocol';
import { FormatDetector, type Detection, type TapFormat } from './format-detect';
import type { LineFeed } from './line-feed';
import { defaultProfile } from './tap-options';
import type { LineAt, TapReport } from './tap-report';

export type OpenFeed = (format: TapFormat, profile: ProfileName) => LineFeed;

export interface OpenedFeed {
  format: TapFormat;
  /** How the format was chosen: `--format` given, proved by a line, or assumed (nothing proved one). */
  formatSource: 'given' | 'detected' | 'assumed';
  /** No line proved the format and none was given: the default was assumed. */
  formatAssumed: boolean;
  /** What detection picked from the lines (null: no line proved a format). */
  detectedFormat: TapFormat | null;
  profile: ProfileName;
}

/**
 * Numbers the lines, decides the format (held lines until `auto` knows it), and hands each line
 * to the feed of that format. A given format is read at once; detection still runs beside it,
 * and a format it proves that is not the given one is reported. Lines are decoded as latin1, one
 * character per byte, so a guest line's bytes come back exactly with `Buffer.from(text, 'latin1')`.
 */
export class TapLines {
  private feed: LineFeed | null = null;
  private opened: OpenedFeed | null = null;
  private detector: FormatDetector | null;
  private lineNo = 0;
  private fileLine = 0;
  private generation = 0;

  constructor(
    private readonly format: TapFormat | 'auto',
    private readonly report: TapReport,
    private readonly log: (message: string) => void,
    private readonly openFeed: OpenFeed,
    private readonly profile: ProfileName | null = null,
  ) {
    this.detector = new FormatDetector(format === 'auto');
    if (format !== 'auto') this.open(format, 'given', null);
  }

  /** One line without its '\n'; null bytes: a line too long to keep, of `length` bytes. */
  line(bytes: Buffer | null, length: number): void {
    this.report.lines++;
    const at: LineAt = {
      lineNo: ++this.lineNo,
      fileLine: ++this.fileLine,
      generation: this.generation,
    };
    if (bytes === null) {
      this.report.unparseableLine(at, `line of ${length} bytes is too long to be a log line`);
      return;
    }
    const text = bytes.toString('latin1');
    if (this.format === 'auto') {
      if (this.feed) this.feed.line(text, at);
      else this.adopt(this.detector!.offer(text, at));
      return;
    }
    this.feed!.line(text, at);
    const detection = this.detector?.offer(text, at);
    if (detection) this.compare(detection);
  }

  /** The path now names a new file (rotation) or the file was truncated: numbering restarts. */
  newFile(kind: 'rotated' | 'truncated'): void {
    if (kind === 'rotated') this.report.rotations++;
    else this.report.truncations++;
    this.generation++;
    this.fileLine = 0;
  }

  /** End of the tap: pending lines are fed, and the instance stops at `timeUs`. */
  end(timeUs: number, detail: string): OpenedFeed {
    if (!this.feed) this.adopt(this.detector!.decideNow());
    const feed = this.feed!;
    feed.flush();
    feed.recorder.stop('agent-stop', Math.max(timeUs, 0), detail);
    return this.opened!;
  }

  private adopt(detection: Detection | null): void {
    if (!detection) return;
    this.detector = null;
    if (detection.assumed)
      this.log(
        `no line shows whether this is a QEMU trace, a qemu-dm log or a stubdomain console log: reading it as a QEMU trace (use --format otherwise)`,
      );
    const feed = this.open(
      detection.format,
      detection.assumed ? 'assumed' : 'detected',
      detection.profile,
    );
    for (const held of detection.lines) feed.line(held.text, held.at);
  }

  /** A given format beside what detection proved: a disagreement is said, once, with the line. */
  private compare(detection: Detection): void {
    this.detector = null;
    if (detection.assumed) return;
    this.opened!.detectedFormat = detection.format;
    if (detection.format === this.format) return;
    const where = detection.provedBy!;
    this.log(
      `--format ${this.format} was given, but line ${where.fileLine} looks like ${describe(detection.format)} (detection would pick ${detection.format}); reading it as ${this.format} as told`,
    );
  }

  private open(
    format: TapFormat,
    source: OpenedFeed['formatSource'],
    detectedProfile: ProfileName | null,
  ): LineFeed {
    const profile = this.profile ?? detectedProfile ?? defaultProfile(format);
    this.opened = {
      format,
      formatSource: source,
      formatAssumed: source === 'assumed',
      detectedFormat: source === 'detected' ? format : null,
      profile,
    };
    this.feed = this.openFeed(format, profile);
    return this.feed;
  }
}

function describe(format: TapFormat): string {
  if (format === 'qemu-trace') return 'a QEMU trace';
  if (format === 'qemu-dm') return 'a qemu-dm log';
  return 'a stubdomain console log';
}
