import { PublishOutcomeUnknownError, type Bus, type FramedRecords } from '@magicport/bus';
import type { InFlightBatch, Journal, JournalPosition, JournalRecord } from '../journal';
import { describeFsError } from '../journal/journal-fs';

export interface ShipperOptions {
  topic: string;
  /** Largest batch read from the journal and published at once. */
  maxBatchBytes: number;
  retryMinMs: number;
  retryMaxMs: number;
  /** How long to wait for new records when the journal is drained. */
  idleMs: number;
}

/**
 * After a crash, the bus is searched for the in-flight batch's records from this long before its
 * first send attempt: a clock step back between the mark and the send, or a broker stamping
 * append time with a clock behind ours, must not hide a record from the search.
 */
const CLOCK_SKEW_MS = 5_000;

export const SHIPPER_DEFAULTS: Omit<ShipperOptions, 'topic'> = {
  // ~15-25k events per send: each batch costs a cursor write (fsynced) besides its publish, so
  // the bus's own limit (bus.maxPublishBytes) is what usually caps it.
  maxBatchBytes: 8 * 1024 * 1024,
  retryMinMs: 100,
  retryMaxMs: 5_000,
  idleMs: 5,
};

export interface ShipperStatus {
  /** `delivering` while publishes succeed, `retrying` during a broker outage. */
  state: 'delivering' | 'retrying' | 'stopped';
  delivered: number;
  failedAttempts: number;
  lastError: string | null;
  unackedBytes: number;
}

export type ShipperLog = (message: string) => void;

/**
 * Moves journaled records to the bus in journal order, one batch in flight, and acknowledges
 * each batch in the journal only after the bus has. During an outage it retries the same batch
 * with backoff while the journal keeps growing on disk; the guest path never waits on it.
 *
 * Each record reaches the bus once, across crashes too. Before a batch's first send the journal
 * durably marks it in flight (a range of records and the time); the acknowledgement clears the
 * mark. Under load the next batch is marked while the current one is sent, both as one range, in
 * the cursor write that acknowledges the batch before: it is sent as soon as the current one is
 * delivered. A shipper that finds a mark on start (the previous one died between sending and
 * acknowledging) first asks the bus which of those records it already holds, by exact bytes
 * (each event's bytes carry its unique id), and sends only the others. Within a run the
 * idempotent producer keeps retries from duplicating.
 */
export class Shipper {
  private position: JournalPosition;
  private running = false;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private readonly stats = { delivered: 0, failedAttempts: 0, lastError: null as string | null };
  /** What the last failure was about, while failing (null while delivering). */
  private failing: Stage | null = null;
  /**
   * The batch being published, kept as read until the bus takes it: a retry must re-send the
   * identical records. The idempotent producer numbers records per partition, and the broker
   * dedupes a batch it already appended only when the retry has the same sequence range; a
   * batch re-read from a journal that grew meanwhile is larger and is refused as out of order,
   * for good.
   */
  private unpublished: Batch | null = null;
  /** Why the batch in flight must be checked against the topic before it is sent again. */
  private outcomeUnknown: string | null = null;
  /**
   * While a batch is sent: the next one, read and marked in flight together with it in a cursor
   * write that also acknowledges everything before it (null when nothing more was journaled).
   * The cursor write (fsynced) then overlaps the send instead of following it. Settled before
   * any other cursor write starts, so cursor writes never race.
   */
  private ahead: Promise<Batch | null> | null = null;

  constructor(
    private readonly journal: Journal,
    private readonly bus: Bus,
    private readonly options: ShipperOptions,
    private readonly log: ShipperLog = () => undefined,
    /** Stored atomically with each acknowledgement (the agent keeps each stream's next seq there). */
    private readonly ackMeta: () => unknown = () => undefined,
  ) {
    this.position = journal.cursor;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Wake the loop at once (new records were appended). */
  notify(): void {
    this.wake?.();
  }

  /** Resolves when every record appended so far is delivered, or rejects after `timeoutMs`. */
  async drained(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    await this.journal.flush();
    while (!this.journal.drained) {
      if (Date.now() > deadline) {
        throw new Error(
          `journal not drained after ${timeoutMs} ms: ${this.journal.unackedBytes} bytes undelivered` +
            (this.stats.lastError ? ` (last error: ${this.stats.lastError})` : ''),
        );
      }
      this.notify();
      await sleep(10);
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    this.notify();
    await this.loop;
  }

  status(): ShipperStatus {
    return {
      state: !this.running ? 'stopped' : this.failing !== null ? 'retrying' : 'delivering',
      ...this.stats,
      unackedBytes: this.journal.unackedBytes,
    };
  }

  /**
   * The pipeline, one batch per turn:
   * 1. take the batch: the one that failed (re-sent identical, see `unpublished`), the one read
   *    ahead, or the next from the journal (marked in flight first);
   * 2. while it is sent, read the one after it and mark both in flight in one cursor write that
   *    acknowledges what came before (`ahead`);
   * 3. send; 4. settle that cursor write: the batch read ahead is the next turn's, and its mark
   *    acknowledges this one; with nothing read ahead, acknowledge this one now.
   * Every failure lands in the one catch, is named by the stage it hit (a full disk is not a
   * broker outage) and retried with backoff; none escapes the loop.
   */
  private async run(): Promise<void> {
    let backoff = this.options.retryMinMs;
    let stage: Stage = 'journal';
    while (this.running) {
      try {
        stage = 'journal';
        const batch = (this.unpublished ??= await this.takeBatch());
        if (!batch) {
          await this.idle();
          continue;
        }
        this.ahead ??= this.markAhead(batch);
        stage = 'bus';
        await this.send(batch);
        this.recovered(batch);
        backoff = this.options.retryMinMs;
        stage = 'journal';
        const following = await this.settleAhead();
        this.position = batch.next;
        this.stats.delivered += batch.count;
        if (following && this.running) {
          // Marked in flight already: sent next, and its own read-ahead acknowledges this batch.
          this.unpublished = following;
        } else {
          // A failed ack needs no retry of its own: the journal holds the new cursor and the
          // next cursor write (the next batch's mark) persists it.
          this.unpublished = null;
          await this.journal.ack(batch.next, this.ackMeta());
        }
      } catch (err) {
        // The topic search for a batch in flight reads from the bus: it fails in an outage.
        if (err instanceof ScanFailedError) stage = 'bus';
        // The producer that sent it is gone: a re-send would not be deduplicated, so the next
        // attempt checks the topic for it first, as after a crash (from the mark on disk: the
        // write marking the next batch too is let finish, and that batch is part of the check).
        if (err instanceof PublishOutcomeUnknownError) {
          await this.settleAhead();
          this.unpublished = null;
          this.outcomeUnknown = err.message;
        }
        this.failed(stage, err);
        await sleep(backoff);
        backoff = Math.min(backoff * 2, this.options.retryMaxMs);
      }
    }
    // Stopped while retrying: the next batch's mark may still be being written. A write landing
    // after stop() would replace the cursor of whoever opens the journal next.
    await this.settleAhead();
  }

  /**
   * The next batch from the journal. Only fsynced records can be read: when none are, the
   * journal writes and fsyncs what is appended (the agent writes every tick; waiting on its
   * writes and fsyncs before each batch would not do).
   */
  private async takeBatch(): Promise<Batch | null> {
    const batch = await this.nextBatch();
    if (batch) return batch;
    await this.journal.flush(true);
    return this.nextBatch();
  }

  private failed(stage: Stage, err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    this.stats.failedAttempts++;
    this.stats.lastError = message;
    const line =
      stage === 'bus'
        ? `bus unavailable (${message}); journaling and retrying`
        : `${journalError(err)}; delivery paused, retrying`;
    // One line per episode and kind of failure, not one per attempt.
    if (this.failing !== stage) this.log(line);
    this.failing = stage;
  }

  private recovered(batch: Batch): void {
    if (this.failing !== null) {
      this.log(
        this.failing === 'journal'
          ? `journal readable again after ${this.stats.failedAttempts} failed attempts; delivering`
          : `bus back after ${this.stats.failedAttempts} failed attempts; draining the journal`,
      );
      this.failing = null;
    }
    if (batch.afterCrash) {
      const { found, of, why } = batch.afterCrash;
      this.log(
        `journal: batch in flight ${why}: ${found} of ${of} records already on the topic, sent the other ${batch.count}`,
      );
    }
  }

  /**
   * The batch after `batch` (being sent), marked in flight with it as one range stamped with
   * `batch`'s mark time, in the cursor write that acknowledges what came before `batch`; null
   * when nothing follows yet, or when the write failed (the next batch is then marked before
   * its own send, as the first one is).
   */
  private async markAhead(batch: Batch): Promise<Batch | null> {
    try {
      const following = await this.readBatch(batch.next);
      if (!following) return null;
      following.markedAtMs = Date.now();
      const range = { from: this.position, next: following.next, firstAttemptMs: batch.markedAtMs };
      const { segment, offset } = this.journal.cursor;
      if (segment === this.position.segment && offset === this.position.offset)
        await this.journal.markInFlight(range); // nothing new to acknowledge (first batch, retries)
      else await this.journal.ack(this.position, this.ackMeta(), range);
      return following;
    } catch (err) {
      this.log(
        `journal: marking the next batch in flight failed (${err instanceof Error ? err.message : String(err)}); it is marked before its own send`,
      );
      return null;
    }
  }

  /** The read-ahead batch once its cursor write is done (see `ahead`). */
  private async settleAhead(): Promise<Batch | null> {
    const ahead = this.ahead;
    this.ahead = null;
    return ahead ?? null;
  }

  private send(batch: Batch): Promise<void> {
    // A batch found in flight may have been on the bus whole: nothing left of it to send.
    if (batch.count === 0) return Promise.resolve();
    return Array.isArray(batch.records)
      ? this.bus.publish(this.options.topic, batch.records)
      : this.bus.publishFramed(this.options.topic, batch.records);
  }

  /**
   * The batch to publish next, marked in flight in the journal before its first send; null when
   * nothing is left to send. A mark found in the journal is a batch a previous shipper may have
   * sent in part or whole: only what the bus lacks of it is sent.
   */
  private async nextBatch(): Promise<Batch | null> {
    const inFlight = this.journal.inFlight;
    if (inFlight) {
      const why = this.outcomeUnknown ? `when ${this.outcomeUnknown}` : 'at the crash';
      const batch = await this.resumeInFlight(inFlight, why);
      this.outcomeUnknown = null;
      return batch;
    }
    const batch = await this.readBatch(this.position);
    if (batch) {
      batch.markedAtMs = Date.now();
      await this.journal.markInFlight({
        from: this.position,
        next: batch.next,
        firstAttemptMs: batch.markedAtMs,
      });
    }
    return batch;
  }

  /** The records from `from` on, as one batch; null when there are none yet. */
  private async readBatch(from: JournalPosition): Promise<Batch | null> {
    const { batch, next } = await this.journal.readFramed(
      from,
      Math.min(this.options.maxBatchBytes, this.bus.maxPublishBytes),
    );
    return batch.count === 0
      ? null
      : { records: batch, count: batch.count, next, markedAtMs: 0, afterCrash: null };
  }

  /**
   * The records of an in-flight batch the bus does not hold, in journal order. Every record of
   * it on the bus was stamped at or after its first send attempt (the producer's create time),
   * so the scan starts there, less the clock skew margin.
   */
  private async resumeInFlight(inFlight: InFlightBatch, why: string): Promise<Batch> {
    const records = await this.journal.readRange(inFlight.from, inFlight.next);
    const wanted = new Set(records.map(valueKey));
    const found = new Set<string>();
    const since = inFlight.firstAttemptMs - CLOCK_SKEW_MS;
    await this.bus
      .scanSince(
        this.options.topic,
        since,
        (record) => {
          const key = valueKey(record);
          if (wanted.has(key)) found.add(key);
        },
        // Only the partitions the batch's keys map to (a fleet-wide topic has many more).
        new Set(records.map((r) => r.key)),
      )
      .catch((err: unknown) => {
        throw new ScanFailedError(
          `checking the topic for the batch in flight failed (${err instanceof Error ? err.message : String(err)})`,
        );
      });
    const missing = records.filter((r) => !found.has(valueKey(r)));
    return {
      records: missing,
      count: missing.length,
      next: inFlight.next,
      markedAtMs: inFlight.firstAttemptMs,
      afterCrash: { found: records.length - missing.length, of: records.length, why },
    };
  }

  private idle(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, this.options.idleMs);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        this.wake = null;
        done();
      };
    });
  }
}

type Stage = 'journal' | 'bus';

/** A journal failure as one line starting with "journal" (ENOSPC and EIO named as such). */
function journalError(err: unknown): string {
  const described = describeFsError(err);
  return described.startsWith('journal') ? described : `journal: ${described}`;
}

/** The topic could not be searched for a batch in flight (the bus is down, usually). */
class ScanFailedError extends Error {}

interface Batch {
  /** As read from the journal, or what the bus lacked of a batch found in flight. */
  records: FramedRecords | JournalRecord[];
  count: number;
  /** When it was marked in flight, before its first send: where a check of the topic starts. */
  markedAtMs: number;
  next: JournalPosition;
  /** Set for what is left of a batch found in flight at start: how much of it the bus held. */
  afterCrash: { found: number; of: number; why: string } | null;
}

/** A record's identity for the in-flight check: its exact bytes (latin1 maps bytes 1:1). */
const valueKey = (record: { value: Buffer }) => record.value.toString('latin1');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
