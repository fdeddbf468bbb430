import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { IngestObserver } from '../ingest/ingest-ports';

/** The ingest's Prometheus metrics, on a registry of this server's own (no global state). */
export class IngestMetrics implements IngestObserver {
  readonly registry = new Registry();
  private readonly events = new Counter({
    name: 'magicport_ingest_events_total',
    help: 'Events stored in the raw tables, by event type',
    labelNames: ['type'],
    registers: [this.registry],
  });
  private readonly dlq = new Counter({
    name: 'magicport_ingest_dlq_records_total',
    help: 'Records sent to the DLQ, by reason',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  private readonly rows = new Histogram({
    name: 'magicport_ingest_range_rows',
    help: 'Records per ingested range (one insert per kind)',
    buckets: [1, 10, 100, 1_000, 5_000, 10_000, 25_000, 50_000, 100_000],
    registers: [this.registry],
  });
  private readonly insertLatency = new Histogram({
    name: 'magicport_ingest_insert_seconds',
    help: 'Time of one raw-table insert, retries included',
    labelNames: ['table'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  private readonly consumerLag = new Gauge({
    name: 'magicport_ingest_consumer_lag',
    help: 'Records of a partition not yet stored (high watermark minus next offset)',
    labelNames: ['topic', 'partition'],
    registers: [this.registry],
  });
  private readonly retries = new Counter({
    name: 'magicport_ingest_retries_total',
    help: 'Failed attempts the ingest retried (store or DLQ down), by operation',
    labelNames: ['operation'],
    registers: [this.registry],
  });
  private readonly partitions = new Gauge({
    name: 'magicport_ingest_assigned_partitions',
    help: 'Partitions this server owns, by topic',
    labelNames: ['topic'],
    registers: [this.registry],
  });

  /** Records this server has stored or dead-lettered since it started (embedded mode waits on it). */
  handled = 0;

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'magicport_' });
  }

  ingested(type: string, count: number): void {
    this.handled += count;
    this.events.inc({ type }, count);
  }

  deadLettered(reason: string, count: number): void {
    this.handled += count;
    this.dlq.inc({ reason }, count);
  }

  rangeRows(rows: number): void {
    this.rows.observe(rows);
  }

  insertSeconds(table: string, seconds: number): void {
    this.insertLatency.observe({ table }, seconds);
  }

  lag(topic: string, partition: number, lag: number): void {
    this.consumerLag.set({ topic, partition: String(partition) }, lag);
  }

  retried(operation: string): void {
    this.retries.inc({ operation });
  }

  assigned(topic: string, partitions: readonly number[]): void {
    this.partitions.set({ topic }, partitions.length);
    // Partitions this member no longer owns would show their last lag for ever otherwise.
    this.consumerLag.reset();
  }
}
