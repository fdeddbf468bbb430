import type { Bus } from '@magicport/bus';
import type { Journal, JournalPosition, JournalRecord } from '../journal';

export interface ShipperOptions {
  topic: string;
  /** Largest batch read from the journal and published at once. */
  maxBatchBytes: number;
  retryMinMs: number;
  retryMaxMs: number;
  /** How long to wait for new records when the journal is drained. */
  idleMs: number;
}

export const SHIPPER_DEFAULTS: Omit<ShipperOptions, 'topic'> = {
  // ~13k events per send: kafkajs's cost is mostly per request (gzip keeps each partition's
  // compressed batch well under the broker's 1 MiB message.max.bytes).
  maxBatchBytes: 4 * 1024 * 1024,
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
 * Delivery is at least once: a crash between a publish and its acknowledgement re-sends that one
 * batch, with the same event ids (consumers deduplicate on id).
 */
export class Shipper {
  private position: JournalPosition;
  private running = false;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private readonly stats = { delivered: 0, failedAttempts: 0, lastError: null as string | null };
  private retrying = false;
  /**
   * The batch being published, kept as read until the bus takes it: a retry must re-send the
   * identical records. The idempotent producer numbers records per partition, and the broker
   * dedupes a batch it already appended only when the retry has the same sequence range; a
   * batch re-read from a journal that grew meanwhile is larger and is refused as out of order,
   * for good.
   */
  private unpublished: { records: JournalRecord[]; next: JournalPosition } | null = null;

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
      state: !this.running ? 'stopped' : this.retrying ? 'retrying' : 'delivering',
      ...this.stats,
      unackedBytes: this.journal.unackedBytes,
    };
  }

  private async run(): Promise<void> {
    let backoff = this.options.retryMinMs;
    while (this.running) {
      await this.journal.flush();
      const batch =
        this.unpublished ??
        (await this.journal.read(
          this.position,
          Math.min(this.options.maxBatchBytes, this.bus.maxPublishBytes),
        ));
      const { records, next } = batch;
      if (records.length === 0) {
        await this.idle();
        continue;
      }
      this.unpublished = batch;
      try {
        await this.bus.publish(this.options.topic, records);
      } catch (err) {
        this.stats.failedAttempts++;
        this.stats.lastError = err instanceof Error ? err.message : String(err);
        if (!this.retrying) {
          this.log(`bus unavailable (${this.stats.lastError}); journaling and retrying`);
          this.retrying = true;
        }
        await sleep(backoff);
        backoff = Math.min(backoff * 2, this.options.retryMaxMs);
        continue;
      }
      if (this.retrying) {
        this.log(
          `bus back after ${this.stats.failedAttempts} failed attempts; draining the journal`,
        );
        this.retrying = false;
      }
      backoff = this.options.retryMinMs;
      this.unpublished = null;
      this.position = next;
      this.stats.delivered += records.length;
      await this.journal.ack(next, this.ackMeta());
    }
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

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
