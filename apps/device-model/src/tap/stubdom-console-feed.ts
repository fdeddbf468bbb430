import type { DeviceModelRecorder } from '../recorder';
import { parseConsoleLine } from './console-line';
import { DmLogFeed } from './dm-log-feed';
import type { FeedContext, LineFeed } from './line-feed';
import { StubdomState } from './stubdom-lines';
import type { LineAt } from './tap-report';
import { TraceFeed } from './trace-feed';
import { parseTraceLine } from './trace-line';

/** Trace events the tap reads: a malformed one is an unparseable trace line, not qemu-dm text. */
const TRACE_EVENT = /^(?:cpu_in|cpu_out|memory_region_ops_\w+|xen_platform_log) /;

/**
 * A device-model stubdomain's console log as Qubes keeps it (`guest-NAME-dm.log`): each line
 * behind xenconsoled's `[YYYY-MM-DD HH:MM:SS] ` (local time, read in `zone`, UTC when null).
 * What follows the prefix is read as a QEMU trace event when it is one (upstream QEMU in the
 * Linux stubdomain: cpu_in/cpu_out, xen_platform_log), else as a qemu-dm line (qemu-traditional
 * in the Mini-OS stubdomain prints guest lines verbatim), where the stubdomain's own boot output
 * is the device model's. Once the stubdomain is known to run upstream QEMU (its Linux kernel,
 * shell or QMP, or a trace event), a line of neither side's known shape is the device model's:
 * upstream QEMU prints guest lines only as xen_platform_log events.
 */
export class StubdomConsoleFeed implements LineFeed {
  readonly recorder: DeviceModelRecorder;
  private readonly trace: TraceFeed;
  private readonly dmLog: DmLogFeed;
  private readonly stubdom = new StubdomState();
  /** A trace event was seen since the stubdomain last (re)started: upstream QEMU. */
  private upstreamSeen = false;

  constructor(
    private readonly ctx: FeedContext,
    private readonly zone: string | null,
  ) {
    this.trace = new TraceFeed(ctx);
    this.recorder = this.trace.recorder;
    // One instance: the qemu-dm reading records through the trace reading's recorder.
    this.dmLog = new DmLogFeed(
      { ...ctx, open: () => this.trace.recorder },
      {
        stubdom: true,
        unknownLineClass: () =>
          this.stubdom.kind === 'linux' || (this.stubdom.kind === null && this.upstreamSeen)
            ? 'device-model'
            : 'unattributed',
      },
    );
  }

  line(text: string, at: LineAt): void {
    const parsed = parseConsoleLine(text, this.zone);
    if (parsed.kind === 'unparseable') {
      const { clock, report } = this.ctx;
      this.startAt(clock.at(null, at.lineNo, true));
      report.unparseableLine(at, parsed.reason);
      return;
    }
    const { body, timeUs } = parsed;
    const before = this.stubdom.kind;
    this.stubdom.see(body);
    if (this.stubdom.kind !== before) this.upstreamSeen = false;
    const event = parseTraceLine(body);
    if (event.kind === 'access' || event.kind === 'guest-log' || TRACE_EVENT.test(body)) {
      this.upstreamSeen = true;
      this.trace.line(body, at, timeUs);
      return;
    }
    this.trace.fromText(() => this.dmLog.line(body, at, timeUs));
  }

  flush(): void {
    this.trace.flush();
    this.trace.fromText(() => this.dmLog.flush());
  }

  private startAt(timeUs: number): void {
    if (this.ctx.started.value) return;
    this.ctx.started.value = true;
    this.recorder.start(timeUs);
  }
}
