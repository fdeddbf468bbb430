import { randomUUID } from 'node:crypto';
import type { Bus } from '@magicport/bus';
import { eventJson, EVENTS_TOPIC, type GuestEvent } from '@magicport/events';
import type { ProfileName } from '@magicport/protocol';
import { BlacklistFollower } from './blacklist-follower';
import { Journal, JsonText, type JournalOptions } from './journal';
import { describeFsError } from './journal/journal-fs';
import { DeviceModelRecorder, type RecorderOptions } from './recorder';
import { Shipper, SHIPPER_DEFAULTS } from './shipping';
import {
  recoverPositions,
  recoverStreams,
  type SourcePosition,
  type StreamSeqs,
} from './stream-recovery';

export interface AgentOptions {
  host: string;
  journalDir: string;
  /**
   * Events the guest path may queue before it writes them to the journal itself; while the disk
   * refuses writes, the most it holds (later events are counted as dropped and reported).
   */
  maxQueuedEvents: number;
  /** Journal settings (tests use a fault-injecting file layer). */
  journal?: Partial<JournalOptions>;
  /**
   * Keep each stream's next seq in the cursor so a restart resumes it (default true). A journal
   * thrown away at exit (the in-process bus) does not need it, and it costs a map entry per
   * stream plus all of them rewritten on every acknowledgement: quadratic in a large fleet.
   */
  resumable?: boolean;
}

/** How often a failing journal write is tried again when no new event asks for it. */
const WRITE_RETRY_MS = 1_000;

export interface InstanceOptions {
  /** The machine the instance runs on (default: the agent's). */
  host?: string;
  dm: string;
  vm: string;
  domid: number;
  profile: ProfileName;
  enforceBlacklist: boolean;
  idleGapMs: number;
  logByteAccesses: boolean;
  source: RecorderOptions['source'];
  /**
   * Seq of the instance's first event (default 0). A source that resumes from a stored position
   * starts at that position's seq; events below the stream's journaled seq are still dropped.
   */
  startSeq?: number;
}

export interface AgentReadiness {
  ready: boolean;
  reasons: string[];
}

export type AgentLog = (message: string) => void;

/**
 * The recorder agent: device-model instances whose events go, in order, to a bounded in-memory
 * queue, then to the write-ahead journal, then to the bus. The guest path never waits on the
 * bus. Each instance's event stream resumes after a restart: events it regenerates below the
 * journaled seq (a deterministic source replayed from its start) are recognised and not recorded
 * twice.
 */
export class Agent {
  private queue: GuestEvent[] = [];
  private writeScheduled = false;
  /**
   * Next seq of each stream as journaled durably (fsynced): what is stored with each
   * acknowledgement. A seq counted before its record is on disk would, after a power cut, make
   * the restarted agent drop the regenerated event as already recorded.
   */
  private readonly written: StreamSeqs;
  /** Next seq of each stream appended since the last mark. */
  private appended: StreamSeqs = new Map();
  /** Appended seqs (and source positions) waiting for the journal to fsync up to `at`. */
  private unsynced: Array<{
    at: number;
    seqs: StreamSeqs;
    positions: Map<string, SourcePosition>;
  }> = [];
  /** The journal's last write error, while its writes fail. */
  private writeError: string | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  /** Events dropped because the journal could not take them (disk full), this episode. */
  private dropped = 0;
  /** Next seq each instance has produced (recorded or not), for source positions. */
  private readonly produced = new Map<string, number>();
  /** Source positions marked since the last journal append. */
  private markedPositions = new Map<string, SourcePosition>();
  /** Source positions whose events are journaled durably: stored with each acknowledgement. */
  private readonly positions: Map<string, SourcePosition>;
  private readonly instances = new Map<string, DeviceModelRecorder>();

  private constructor(
    private readonly options: AgentOptions,
    private readonly journal: Journal,
    private readonly shipper: Shipper,
    readonly blacklist: BlacklistFollower,
    private readonly resumeFrom: StreamSeqs,
    private readonly log: AgentLog,
  ) {
    this.written = new Map(resumeFrom);
    this.positions = recoverPositions(journal);
  }

  static async open(
    options: AgentOptions,
    bus: Bus,
    log: AgentLog = () => undefined,
  ): Promise<Agent> {
    const journal = await Journal.open(options.journalDir, options.journal);
    for (const d of journal.damage) {
      log(
        `journal ${d.file}: damaged record at byte ${d.offset} (${d.reason}); skipped ${d.skippedBytes} bytes, the records before it are kept`,
      );
    }
    const resumeFrom = await recoverStreams(journal);
    if (journal.unackedBytes > 0)
      log(
        `journal holds ${journal.unackedBytes} undelivered bytes from before; delivering them first`,
      );
    let agent: Agent | null = null;
    const shipper = new Shipper(
      journal,
      bus,
      { ...SHIPPER_DEFAULTS, topic: EVENTS_TOPIC },
      log,
      () => (agent ? agent.ackMeta() : streamsMeta(resumeFrom, recoverPositions(journal))),
    );
    const follower = new BlacklistFollower(
      bus,
      `magicport-agent-${options.host}-${randomUUID()}`,
      log,
    );
    agent = new Agent(options, journal, shipper, follower, resumeFrom, log);
    shipper.start();
    try {
      await follower.start();
    } catch (err) {
      // The agent never opened: its shipper must not keep delivering (and the process alive).
      await shipper.stop();
      await journal.close();
      throw err;
    }
    return agent;
  }

  /** A device-model instance; its stream continues where a previous run of this agent left it. */
  instance(options: InstanceOptions, observe?: (event: GuestEvent) => void): DeviceModelRecorder {
    if (this.instances.has(options.dm))
      throw new Error(`device-model instance ${options.dm} already exists`);
    const skipBelow = this.resumeFrom.get(options.dm) ?? 0;
    const { startSeq, ...recorderOptions } = options;
    this.produced.set(options.dm, startSeq ?? 0);
    const recorder = new DeviceModelRecorder(
      {
        host: this.options.host,
        ...recorderOptions,
        blacklist: this.blacklist.view.lookup,
        blacklistRevision: () => this.blacklist.view.revision,
        ...(startSeq === undefined ? {} : { nextSeq: startSeq }),
      },
      (event) => {
        observe?.(event);
        this.produced.set(event.dm, event.seq + 1);
        if (event.seq >= skipBelow) this.enqueue(event);
      },
    );
    this.instances.set(options.dm, recorder);
    return recorder;
  }

  /** Next seq of stream `dm` as journaled before this agent started (0 for a new stream). */
  streamNextSeq(dm: string): number {
    return this.resumeFrom.get(dm) ?? 0;
  }

  /** The source position stored for stream `dm` with the last acknowledgement, if any. */
  sourcePosition(dm: string): SourcePosition | undefined {
    return this.positions.get(dm);
  }

  /**
   * The source of instance `dm` has handed it everything before `at`: stored with the events
   * produced so far, once they are journaled durably, so a restarted source can resume there.
   */
  markSourcePosition(dm: string, at: unknown): void {
    this.markedPositions.set(dm, { seq: this.produced.get(dm) ?? 0, at });
    this.enqueueWrite();
  }

  /** Forget a stopped instance (its stream state stays in the journal meta). */
  release(dm: string): void {
    this.instances.delete(dm);
  }

  readiness(): AgentReadiness {
    const reasons: string[] = [];
    if (!this.blacklist.caughtUp)
      reasons.push('blacklist view has not caught up with the blacklist topic');
    return { ready: reasons.length === 0, reasons };
  }

  /** Unacknowledged journal bytes: how far delivery is behind. */
  get backlogBytes(): number {
    return this.journal.unackedBytes + this.journal.bufferedBytes;
  }

  /** Write everything queued and wait until the bus has it (or time out). */
  async drain(timeoutMs: number): Promise<void> {
    this.writeQueued();
    await this.flushJournal();
    if (this.writeError !== null)
      throw new Error(`journal writes are failing (${this.writeError})`);
    await this.shipper.drained(timeoutMs);
  }

  /**
   * Stops every instance (dm.stopped), then tries for `drainTimeoutMs` to deliver; what is not
   * delivered stays in the journal for the next start.
   */
  async close(drainTimeoutMs: number, stopTimeUs: number): Promise<void> {
    for (const recorder of this.instances.values()) recorder.stop('agent-stop', stopTimeUs);
    try {
      await this.drain(drainTimeoutMs);
    } catch (err) {
      this.log(
        `${err instanceof Error ? err.message : String(err)}; kept in the journal for the next start`,
      );
    }
    await this.shipper.stop();
    await this.blacklist.stop();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    await this.journal.close().catch((err: unknown) => {
      this.log(
        `journal: the last write before closing failed (${describeFsError(err)}); events not yet written are lost`,
      );
    });
  }

  /** The stream seqs for an acknowledgement: those whose records the journal has fsynced. */
  private ackMeta(): JsonText {
    const synced = this.journal.syncedBytes;
    let n = 0;
    const resumable = this.options.resumable !== false;
    while (n < this.unsynced.length && this.unsynced[n]!.at <= synced) {
      if (resumable) {
        for (const [dm, next] of this.unsynced[n]!.seqs) this.written.set(dm, next);
        for (const [dm, at] of this.unsynced[n]!.positions) this.positions.set(dm, at);
      }
      n++;
    }
    if (n > 0) this.unsynced.splice(0, n);
    return streamsMeta(this.written, this.positions);
  }

  private enqueue(event: GuestEvent): void {
    if (this.writeError !== null && this.queue.length >= this.options.maxQueuedEvents) {
      this.dropped++;
      return;
    }
    this.queue.push(event);
    if (this.queue.length >= this.options.maxQueuedEvents) {
      this.writeQueued();
      return;
    }
    this.enqueueWrite();
  }

  /** Encode queued events into the journal's buffer; the file write follows on flush. */
  private writeQueued(): void {
    // While the disk refuses writes, events wait in the bounded queue, not in ever more memory
    // (the journal holds what it was given before the failure, in order, for its next write).
    if (this.writeError !== null) return;
    if (this.queue.length === 0) {
      // Positions past events that were all dropped as recorded before: durable at once.
      if (this.markedPositions.size > 0) this.markJournaled();
      return;
    }
    const events = this.queue;
    this.queue = [];
    // A stream's events come in runs: its next seq is stored once per run, not per event.
    let dm: string | null = null;
    let next = 0;
    for (const event of events) {
      this.journal.append({ key: event.vm, value: eventJson(event) });
      if (event.dm !== dm) {
        if (dm !== null) this.appended.set(dm, next);
        dm = event.dm;
      }
      next = event.seq + 1;
    }
    if (dm !== null) this.appended.set(dm, next);
    this.markJournaled();
  }

  /** What was appended (and the positions marked after it) counts once the journal fsyncs it. */
  private markJournaled(): void {
    this.unsynced.push({
      at: this.journal.appendedBytes,
      seqs: this.appended,
      positions: this.markedPositions,
    });
    this.appended = new Map();
    this.markedPositions = new Map();
  }

  /**
   * Writes what is appended. Never rejects: a failed write (full disk, I/O error) is reported
   * once, the events stay queued and the write is tried again until it succeeds.
   */
  private async flushJournal(): Promise<void> {
    try {
      await this.journal.flush();
    } catch (err) {
      if (this.writeError === null)
        this.log(
          `${err instanceof Error ? err.message : String(err)}; the guest path keeps serving, up to ${this.options.maxQueuedEvents} events wait in memory, retrying every ${WRITE_RETRY_MS / 1000} s`,
        );
      this.writeError = err instanceof Error ? err.message : String(err);
      this.retryTimer ??= setTimeout(() => {
        this.retryTimer = null;
        this.writeQueued();
        void this.flushJournal();
      }, WRITE_RETRY_MS);
      return;
    }
    if (this.writeError !== null) {
      this.log(
        `journal writable again${this.dropped > 0 ? `; ${this.dropped} events were dropped while it was not (the queue was full)` : ''}`,
      );
      this.writeError = null;
      this.dropped = 0;
      if (this.queue.length > 0) this.enqueueWrite();
    }
    this.shipper.notify();
  }

  /** Writes the queue on the next turn (events held back while the journal failed). */
  private enqueueWrite(): void {
    if (this.writeScheduled) return;
    this.writeScheduled = true;
    setImmediate(() => {
      this.writeScheduled = false;
      this.writeQueued();
      void this.flushJournal();
    });
  }
}

/**
 * `{ streams: { [dm]: next seq }, positions?: { [dm]: SourcePosition } }`, what
 * `recoverStreams` and `recoverPositions` read back, written out directly.
 */
export function streamsMeta(
  seqs: StreamSeqs,
  positions: ReadonlyMap<string, SourcePosition> = new Map(),
): JsonText {
  const parts: string[] = [];
  for (const [dm, next] of seqs) parts.push(`${JSON.stringify(dm)}:${next}`);
  if (positions.size === 0) return new JsonText(`{"streams":{${parts.join(',')}}}`);
  const marks: string[] = [];
  for (const [dm, position] of positions)
    marks.push(`${JSON.stringify(dm)}:${JSON.stringify(position)}`);
  return new JsonText(`{"streams":{${parts.join(',')}},"positions":{${marks.join(',')}}}`);
}
