import type { GuestEvent } from '@magicport/events';
import { PORT_PROTOCOL } from '@magicport/protocol';
import type { DeviceModelRecorder } from '../recorder';
import type { FeedContext, LineFeed } from './line-feed';
import { LogCrossCheck } from './log-cross-check';
import type { LineAt } from './tap-report';
import { parseTraceLine } from './trace-line';

/**
 * A QEMU trace: each port access is recorded with the response the real device model gave
 * (cpu_in's value), not one we compute. `xen_platform_log` lines are published from their text
 * only while the trace has shown no 1-byte log writes to 0x12; once it has, the recorder rebuilds
 * lines from those bytes and the traced text is only cross-checked against them.
 */
export class TraceFeed implements LineFeed {
  readonly recorder: DeviceModelRecorder;
  private readonly crossCheck = new LogCrossCheck();
  private logBytesSeen = false;
  private publishingText = false;

  constructor(private readonly ctx: FeedContext) {
    this.recorder = ctx.open((event) => this.observe(event));
  }

  line(text: string, at: LineAt, prefixUs: number | null = null): void {
    const parsed = parseTraceLine(text);
    const { clock, report } = this.ctx;
    if (parsed.kind === 'unparseable') {
      // Timed like a line without a prefix (its own time may be junk too), but not counted as one.
      const prefixed = parsed.prefixed === true || prefixUs !== null;
      this.start(clock.at(null, at.lineNo, prefixed));
      report.unparseableLine(at, parsed.reason);
      return;
    }
    const timeUs = clock.at(parsed.timeUs ?? prefixUs, at.lineNo);
    this.start(timeUs);
    switch (parsed.kind) {
      case 'access': {
        const { op, port, size, value } = parsed;
        if (op === 'out' && port === PORT_PROTOCOL && size === 1) this.logBytesSeen = true;
        report.accesses++;
        report.lineClass(at, 'device-model');
        if (op === 'in') this.recorder.observe(op, port, size, undefined, value, timeUs);
        else this.recorder.observe(op, port, size, value, undefined, timeUs);
        return;
      }
      case 'guest-log':
        report.lineClass(at, 'guest');
        this.guestLog(Buffer.from(parsed.text, 'latin1'), at, timeUs);
        return;
      case 'other':
        report.otherLines++;
        report.lineClass(at, 'device-model');
        this.recorder.advance(timeUs);
        return;
    }
  }

  flush(): void {
    this.start(this.ctx.clock.lastUs);
  }

  /**
   * Runs `publish`, which records guest lines from text through this feed's instance (a console
   * log's qemu-dm lines): those are no lines rebuilt from 0x12 bytes, so never cross-checked.
   */
  fromText(publish: () => void): void {
    this.publishingText = true;
    try {
      publish();
    } finally {
      this.publishingText = false;
    }
  }

  private start(timeUs: number): void {
    if (this.ctx.started.value) return;
    this.ctx.started.value = true;
    this.recorder.start(timeUs);
  }

  private guestLog(traced: Buffer, at: LineAt, timeUs: number): void {
    const { report } = this.ctx;
    if (this.logBytesSeen) {
      const result = this.crossCheck.check(traced);
      if (result === 'match') {
        report.logLinesChecked++;
        return;
      }
      if (result === 'mismatch') {
        report.logLinesChecked++;
        report.logMismatch(
          at,
          'xen_platform_log text differs from the line rebuilt from 0x12 bytes',
        );
        return;
      }
      // No byte accesses behind it (tracing of cpu_out began mid-line?): keep the text.
      report.logMismatch(
        at,
        'xen_platform_log with no line rebuilt from 0x12 bytes; recorded from its text',
      );
    }
    this.recorder.advance(timeUs);
    this.publishingText = true;
    this.recorder.observeLogLine(traced, timeUs);
    this.publishingText = false;
    report.logLinesFromText++;
  }

  private observe(event: GuestEvent): void {
    this.ctx.report.events++;
    if (event.type === 'guest.log' && !this.publishingText)
      this.crossCheck.rebuilt(Buffer.from(event.data.bytesBase64, 'base64'));
  }
}
