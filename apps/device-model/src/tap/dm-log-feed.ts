import { MAGIC, MAGIC_BLACKLISTED, PORT_MAGIC, PORT_PROTOCOL } from '@magicport/protocol';
import type { DeviceModelRecorder } from '../recorder';
import { parseDmLogLine } from './dm-log-line';
import type { FeedContext, LineFeed } from './line-feed';
import type { LineAt } from './tap-report';

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
  private started = false;

  constructor(private readonly ctx: FeedContext) {
    this.recorder = ctx.open(() => void ctx.report.events++);
  }

  line(text: string, at: LineAt): void {
    const { clock, report } = this.ctx;
    const timeUs = clock.at(null, at.lineNo);
    this.start(timeUs);
    const parsed = parseDmLogLine(text);
    if (parsed.kind === 'blacklisted') {
      // qemu-dm prints it only right after "PV driver build": anywhere else a guest printed it.
      if (this.recheckDue?.lookedUp) {
        this.blacklisted = true;
        report.inferredFacts++;
        this.recheckDue = null;
        this.magicRead(timeUs);
        return;
      }
      this.recheck();
      report.logLinesFromText++;
      this.recorder.observeLogLine(Buffer.from(parsed.text, 'latin1'), timeUs);
      return;
    }
    this.recheck();
    switch (parsed.kind) {
      case 'product':
        report.inferredFacts++;
        this.magicRead(timeUs);
        this.access('in', PORT_PROTOCOL, 1, 1, timeUs);
        this.access('out', PORT_PROTOCOL, 2, parsed.product, timeUs);
        return;
      case 'build':
        report.inferredFacts++;
        this.access('out', PORT_MAGIC, 4, parsed.build, timeUs);
        this.recheckDue = { timeUs, lookedUp: parsed.accepted };
        return;
      case 'guest':
        if (parsed.throttled) report.throttleNotices++;
        report.logLinesFromText++;
        this.recorder.observeLogLine(Buffer.from(parsed.text, 'latin1'), timeUs);
        return;
      case 'dm-message':
        report.otherLines++;
        return;
      case 'unparseable':
        report.unparseableLine(at, parsed.reason);
        return;
    }
  }

  flush(): void {
    this.start(this.ctx.clock.lastUs);
    this.recheck();
  }

  private start(timeUs: number): void {
    if (this.started) return;
    this.started = true;
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
