import type { Bus } from '@magicport/bus';
import type { ClickHouseStore, MigrationStatus } from '@magicport/store';
import type { Ingest } from './ingest/ingest';
import type { IngestMetrics } from './metrics/ingest-metrics';

/** What the server's controllers and modules share: the ports opened at start, injected by type. */
export class ServerRuntime {
  constructor(
    readonly store: ClickHouseStore,
    readonly bus: Bus,
    readonly ingest: Ingest,
    readonly metrics: IngestMetrics,
    readonly schemaStatus: () => Promise<MigrationStatus>,
  ) {}
}
