/**
 * How far the bus has the journal, in memory and in the cursor file (journal-cursor.ts): the
 * acknowledged position, the meta stored with it, and the batch in flight.
 *
 * Invariants:
 * - Every change is written to the cursor file before the call returns (atomically, durably);
 *   a failed write may be repeated with the same arguments.
 * - The batch in flight is marked before its first send and cleared (or replaced by the next
 *   batch) only by the acknowledgement of it: whoever opens the journal next knows some of it
 *   may already be on the bus.
 * - `markInFlight` keeps the last acknowledgement's meta (it is stored once per cursor write).
 */
import { writeCursor, type InFlightBatch, type JournalPosition } from './journal-cursor';
import type { JournalFs } from './journal-fs';

export class DeliveryCursor {
  constructor(
    private readonly fs: JournalFs,
    private readonly dir: string,
    private acknowledged: JournalPosition,
    private ackedMeta: unknown,
    private marked: InFlightBatch | null,
  ) {}

  get position(): JournalPosition {
    return { ...this.acknowledged };
  }

  get inFlight(): InFlightBatch | null {
    return this.marked;
  }

  async markInFlight(batch: InFlightBatch): Promise<void> {
    this.marked = batch;
    await writeCursor(this.fs, this.dir, {
      ...this.acknowledged,
      meta: this.ackedMeta,
      inFlight: batch,
    });
  }

  async ack(upTo: JournalPosition, meta?: unknown, next?: InFlightBatch): Promise<void> {
    this.acknowledged = { ...upTo };
    this.ackedMeta = meta;
    this.marked = next ?? null;
    await writeCursor(this.fs, this.dir, {
      segment: upTo.segment,
      offset: upTo.offset,
      meta,
      inFlight: next,
    });
  }
}
