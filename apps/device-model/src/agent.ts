import { randomUUID } from 'node:crypto';
import type { Bus } from '@magicport/bus';
import { eventJson, EVENTS_TOPIC, type GuestEvent } from '@magicport/events';
import type { ProfileName } from '@magicport/protocol';
import { BlacklistFollower } from './blacklist-follower';
import { Journal, JsonText } from './journal';
import { DeviceModelRecorder, type RecorderOptions } from './recorder';
import { Shipper, SHIPPER_DEFAULTS } from './shipping';
import { recoverStreams, type StreamSeqs } from './stream-recovery';

export interface AgentOptions {
  host: string;
  journalDir: string;
  /** Events the guest path may queue before it writes them to the journal itself. */
  maxQueuedEvents: number;
  /**
   * Keep each stream's next seq in the cursor so a restart resumes it (default true). A journal
   * thrown away at exit (the in-process bus) does not need it, and it costs a map entry per
   * stream plus all of them rewritten on every acknowledgement: quadratic in a large fleet.
   */
  resumable?: boolean;
}

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
  /** Next seq of each stream, as journaled (written to the file, not only queued). */
  private readonly written: StreamSeqs;
  /** Next seq of each stream appended to the journal's buffer since the last flush. */
  private appended: StreamSeqs = new Map();
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
  }

  static async open(
    options: AgentOptions,
    bus: Bus,
    log: AgentLog = () => undefined,
  ): Promise<Agent> {
    const journal = await Journal.open(options.journalDir);
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
      () => streamsMeta(agent?.written ?? resumeFrom),
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
    const recorder = new DeviceModelRecorder(
      {
        host: this.options.host,
        ...options,
        blacklist: this.blacklist.view.lookup,
        blacklistRevision: () => this.blacklist.view.revision,
      },
      (event) => {
        observe?.(event);
        if (event.seq >= skipBelow) this.enqueue(event);
      },
    );
    this.instances.set(options.dm, recorder);
    return recorder;
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
    await this.journal.close();
  }

  private enqueue(event: GuestEvent): void {
    this.queue.push(event);
    if (this.queue.length >= this.options.maxQueuedEvents) {
      this.writeQueued();
      return;
    }
    if (!this.writeScheduled) {
      this.writeScheduled = true;
      setImmediate(() => {
        this.writeScheduled = false;
        this.writeQueued();
        void this.flushJournal();
      });
    }
  }

  /** Encode queued events into the journal's buffer; the file write follows on flush. */
  private writeQueued(): void {
    if (this.queue.length === 0) return;
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
  }

  /** Once the file write is done, what was appended counts as journaled (for the cursor meta). */
  private async flushJournal(): Promise<void> {
    const appended = this.appended;
    this.appended = new Map();
    await this.journal.flush();
    if (this.options.resumable !== false)
      for (const [dm, next] of appended) this.written.set(dm, next);
    this.shipper.notify();
  }
}

/** `{ streams: { [dm]: next seq } }`, what `recoverStreams` reads back, written out directly. */
export function streamsMeta(seqs: StreamSeqs): JsonText {
  const parts: string[] = [];
  for (const [dm, next] of seqs) parts.push(`${JSON.stringify(dm)}:${next}`);
  return new JsonText(`{"streams":{${parts.join(',')}}}`);
}
