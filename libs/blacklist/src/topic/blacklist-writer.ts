import type { Bus } from '@magicport/bus';
import {
  BLACKLIST_TOPIC,
  createBlacklistStamper,
  encodeEvent,
  recordKeyOf,
  type BlacklistEvent,
  type BlacklistStamper,
  type Clock,
} from '@magicport/events';
import { decide, type BlacklistCommand } from '../commands';
import type { BlacklistHistory } from '../history';
import { readBlacklistTopic } from './topic-reader';

export interface BlacklistWriterOptions {
  /** The machine the writer runs on (the events' `host`). */
  host: string;
  /** This writer run's stream id, unique per run (see `writerStreamId`). */
  stream: string;
  /** Defaults to magicport.blacklist.v1; it must have exactly one partition. */
  topic?: string;
  /** Appends tried before giving up with a BlacklistWriteConflictError (default 8). */
  maxAttempts?: number;
  clock?: Clock;
  log?: (message: string) => void;
}

export interface BlacklistWriteResult {
  /** The applied event: its `data.revision` is the blacklist's new revision. */
  event: BlacklistEvent;
  /** 1 unless another writer won a revision race first. */
  attempts: number;
  /** The topic as read right after the append (the event included). */
  history: BlacklistHistory;
}

/** Other writers kept winning the revision this one proposed: nothing of this command applied. */
export class BlacklistWriteConflictError extends Error {
  override readonly name = 'BlacklistWriteConflictError';
  readonly code = 'write-conflict';
}

/**
 * Appends blacklist commands to the topic with a conditional append, so that replicas writing
 * at once never share a revision: read the topic to its end, decide at revision last+1,
 * publish, read again. The fold's rule (`applies`: the first event with a revision wins, later
 * ones with that revision are void) tells whether this append won; a lost one is retried from a
 * fresh read, where the command may now be refused (e.g. the other writer listed the same key).
 * Commands of one writer run one at a time. Each write reads the topic twice: blacklist changes
 * are made by hand and are few, so it stays small.
 */
export class BlacklistWriter {
  private readonly topic: string;
  private readonly stamper: BlacklistStamper;
  private readonly maxAttempts: number;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly bus: Bus,
    private readonly options: BlacklistWriterOptions,
  ) {
    this.topic = options.topic ?? BLACKLIST_TOPIC;
    this.maxAttempts = options.maxAttempts ?? 8;
    this.stamper = createBlacklistStamper({
      host: options.host,
      dm: options.stream,
      ...(options.clock ? { clock: options.clock } : {}),
    });
  }

  /** The blacklist as the topic holds it now. */
  async read(): Promise<BlacklistHistory> {
    const { history, rejected } = await readBlacklistTopic(this.bus, this.topic);
    for (const r of rejected) this.log(`${this.topic}@${r.offset}: skipped, ${r.reason}`);
    return history;
  }

  /**
   * Applies one command; resolves with its applied event. Rejects with a BlacklistCommandError
   * (the command is wrong for the blacklist as it stands), a BlacklistWriteConflictError, or the
   * bus's error when the append failed and did not reach the topic.
   */
  execute(command: BlacklistCommand): Promise<BlacklistWriteResult> {
    const run = this.queue.then(() => this.append(command));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async append(command: BlacklistCommand): Promise<BlacklistWriteResult> {
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      const before = await this.read();
      const change = decide(command, before.current);
      const event = this.stamper.stamp(change.type, change.data);
      const after = await this.publish(event);
      if (after.appliedEvent(event.id)) return { event, attempts: attempt, history: after };
      if (!after.voided.some((e) => e.id === event.id)) {
        throw new Error(`${event.id} was acknowledged but is not on ${this.topic}`);
      }
      this.log(
        `${event.id}: revision ${change.data.revision} went to another writer first (attempt ${attempt}), retrying`,
      );
      // Writers that lost together must not retry in lockstep.
      await new Promise((r) => setTimeout(r, Math.random() * 20 * attempt));
    }
    throw new BlacklistWriteConflictError(
      `other writers won the blacklist revision ${this.maxAttempts} times in a row; nothing changed, try again`,
    );
  }

  /** Publishes and reads back; a failed publish whose record is not on the topic rethrows. */
  private async publish(event: BlacklistEvent): Promise<BlacklistHistory> {
    try {
      await this.bus.publish(this.topic, [{ key: recordKeyOf(event), value: encodeEvent(event) }]);
    } catch (err) {
      const after = await this.read();
      const landed =
        after.appliedEvent(event.id) !== undefined || after.voided.some((e) => e.id === event.id);
      if (!landed) throw err;
      return after;
    }
    return this.read();
  }

  private log(message: string): void {
    this.options.log?.(message);
  }
}
