/** An ingest inside the test process, on the test broker and a test store, watched closely. */
import { KafkaBus, KAFKA_BUS_DEFAULTS, type Bus } from '@magicport/bus';
import type { ClickHouseStore } from '@magicport/store';
import { Ingest, type IngestSettings } from '../../apps/server/src/ingest/ingest';
import type { IngestObserver } from '../../apps/server/src/ingest/ingest-ports';
import { commitRangeLog } from '../../apps/server/src/ingest/range-log';
import { clickHouseRawSink } from '../../apps/server/src/ingest/raw-sink';

/** Counts what the ingest reports, for assertions. */
export class CountingObserver implements IngestObserver {
  readonly ingestedByType = new Map<string, number>();
  readonly dlqByReason = new Map<string, number>();
  readonly retries = new Map<string, number>();
  assignments = 0;
  ingested(type: string, count: number): void {
    this.ingestedByType.set(type, (this.ingestedByType.get(type) ?? 0) + count);
  }
  deadLettered(reason: string, count: number): void {
    this.dlqByReason.set(reason, (this.dlqByReason.get(reason) ?? 0) + count);
  }
  rangeRows(): void {}
  insertSeconds(): void {}
  lag(): void {}
  retried(operation: string): void {
    this.retries.set(operation, (this.retries.get(operation) ?? 0) + 1);
  }
  assigned(): void {
    this.assignments++;
  }
}

const say =
  (level: string) =>
  (fields: object, message: string): void => {
    if (process.env.MAGICPORT_TEST_INGEST_LOG)
      console.error(level, message, JSON.stringify(fields));
  };
/** Silent unless MAGICPORT_TEST_INGEST_LOG is set (then to stderr, for debugging a test). */
export const quietLog = { info: say('info'), warn: say('warn'), error: say('error') };

export interface TestIngest {
  ingest: Ingest;
  observer: CountingObserver;
  bus: Bus;
  stop(): Promise<void>;
}

export const TEST_INGEST_SETTINGS: IngestSettings = {
  groupId: 'unset',
  maxRangeRows: 20_000,
  partitionsConcurrently: 2,
  maxRecordBytes: 1024 * 1024,
  migrate: false,
  sessionTimeoutMs: 6_000,
  dedup: true,
  retry: { initialDelayMs: 100, maxDelayMs: 1_000 },
  drainTimeoutMs: 5_000,
};

export async function startTestIngest(
  brokers: string[],
  store: ClickHouseStore,
  settings: Partial<IngestSettings> & { groupId: string; topics: readonly string[] },
): Promise<TestIngest> {
  const bus = new KafkaBus({
    ...KAFKA_BUS_DEFAULTS,
    brokers,
    clientId: 'magicport-ingest-test',
    log: () => undefined,
  });
  const observer = new CountingObserver();
  const ingest = new Ingest(
    { ...TEST_INGEST_SETTINGS, ...settings },
    {
      bus,
      sink: clickHouseRawSink(store),
      ranges: commitRangeLog,
      observer,
      log: quietLog,
    },
  );
  await ingest.start();
  return {
    ingest,
    observer,
    bus,
    stop: async () => {
      await ingest.stop();
      await bus.close();
    },
  };
}
