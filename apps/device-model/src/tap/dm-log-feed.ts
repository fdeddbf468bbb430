import { MAGIC, MAGIC_BLACKLISTED, PORT_MAGIC, PORT_PROTOCOL } from '@magicport/protocol';
import type { DeviceModelRecorder } from '../recorder';
import { parseDmLogLine } from './dm-log-line';
import type { FeedContext, LineFeed } from './line-feed';
import type { LineAt } from './tap-report';

export interface DmLogFeedOptions {
  /** A stubdomain's console log: its own system's boot output is the device model's too. */
  stubdom: boolean;
  /**
   * What a line of neither side's known shape is: unattributed, unless the caller knows the
   * device model prints guest lines only in another form (an upstream QEMU stubdomain).
   */
  unknownLineClass(): 'unattributed' | 'device-model';
}

const QEMU_DM_LOG: DmLogFeedOptions = { stubdom: false, unknownLineClass: () => 'unattributed' };

/**
 * A qemu-dm log. qemu-dm logs only some protocol steps, so each handshake is rebuilt from what
 * its lines state, with qemu-dm's own answers (the instance's dm.started says source
 * `qemu-dm-log`: these accesses are inferred, not traced):
 * - a product line: the magic read (0x49d2, or 0xd249 once blacklisted: qemu-dm's flag is never
 *   cleared) and the version read (1) that every driver writing a product makes first, then the
 *   2-byte product write;
 * - a build line: the 4-byte build write, then the step-5 re-check answered 0xd249 when the next
 *   line is "Drivers are blacklisted!" (or the flag was already set), else 0x49d2.
 * Never in the log, so never recorded: mask writes (what was unplugged), the guest's flag
 * writes, reads and writes qemu-dm does not log, drivers that write no product (FreeBSD,
 * OpenBSD, win-pv after a 0xd249 first read), the timing of anything.
 */
export class DmLogFeed implements LineFeed {
  readonly recorder: DeviceModelRecorder;
  private blacklisted = false;
  /** A build was written; its re-check waits for the next line to say whether it was blacklisted. */
  private recheckDue: { timeUs: number; lookedUp: boolean } | null = null;

  constructor(
    private readonly ctx: FeedContext,
    private readonly options: DmLogFeedOptions = QEMU_DM_LOG,
  ) {
    this.recorder = ctx.open(() => void ctx.report.events++);
  }

  line(text: string, at: LineAt, prefixUs: number | null = null): void {
    const { clock, report } = this.ctx;
    const parsed = parseDmLogLine(text, { stubdom: this.options.stubdom });
    if (parsed.kind === 'unparseable') {
      this.start(clock.at(prefixUs, at.lineNo));
      this.recheck();
      report.unparseableLine(at, parsed.reason);
      return;
    }
    const timeUs = clock.at(prefixUs, at.lineNo);
    this.start(timeUs);
    if (parsed.kind === 'blacklisted') {
      // qemu-dm prints it only right after "PV driver build": anywhere else a guest printed it.
      if (this.recheckDue?.lookedUp) {
        this.blacklisted = true;
        report.inferredFacts++;
        report.lineClass(at, 'device-model');
        this.recheckDue = null;
        this.magicRead(timeUs);
        return;
      }
      this.recheck();
      this.guestLine(parsed.text, at, timeUs, false);
      return;
    }
    this.recheck();
    switch (parsed.kind) {
      case 'product':
        report.inferredFacts++;
        report.lineClass(at, 'device-model');
        this.magicRead(timeUs);
        this.access('in', PORT_PROTOCOL, 1, 1, timeUs);
        this.access('out', PORT_PROTOCOL, 2, parsed.product, timeUs);
        return;
      case 'build':
        report.inferredFacts++;
        report.lineClass(at, 'device-model');
        this.access('out', PORT_MAGIC, 4, parsed.build, timeUs);
        this.recheckDue = { timeUs, lookedUp: parsed.accepted };
        return;
      case 'guest':
        if (parsed.throttled) report.throttleNotices++;
        this.guestLine(parsed.text, at, timeUs, false);
        return;
      case 'unattributed':
        if (this.options.unknownLineClass() === 'unattributed') {
          this.guestLine(parsed.text, at, timeUs, true);
          return;
        }
        report.otherLines++;
        report.lineClass(at, 'device-model');
        return;
      case 'dm-message':
        report.otherLines++;
        report.lineClass(at, 'device-model');
        return;
    }
  }

  /** A guest line, or an unattributed one (kept as a guest.log marked so). */
  private guestLine(text: string, at: LineAt, timeUs: number, unattributed: boolean): void {
    const { report } = this.ctx;
    report.lineClass(at, unattributed ? 'unattributed' : 'guest');
    if (!unattributed) report.logLinesFromText++;
    this.recorder.observeLogLine(Buffer.from(text, 'latin1'), timeUs, unattributed);
  }

  flush(): void {
    this.start(this.ctx.clock.lastUs);
    this.recheck();
  }

  private start(timeUs: number): void {
    if (this.ctx.started.value) return;
    this.ctx.started.value = true;
    this.recorder.start(timeUs);
  }

  private recheck(): void {
    if (this.recheckDue === null) return;
    const { timeUs } = this.recheckDue;
    this.recheckDue = null;
    this.magicRead(timeUs);
  }

  private magicRead(timeUs: number): void {
    this.access('in', PORT_MAGIC, 2, this.blacklisted ? MAGIC_BLACKLISTED : MAGIC, timeUs);
  }

  /** `value` is what an out wrote, or what qemu-dm answered an in. */
  private access(op: 'in' | 'out', port: number, size: 1 | 2 | 4, value: number, timeUs: number) {
    this.ctx.report.accesses++;
    if (op === 'in') this.recorder.observe(op, port, size, undefined, value, timeUs);
    else this.recorder.observe(op, port, size, value, undefined, timeUs);
  }
}
