/** What the global setup hands to tests through `inject(...)`. */
export type ClickHouseService = { kind: 'server'; url: string } | { kind: 'embedded' };

declare module 'vitest' {
  export interface ProvidedContext {
    /** Comma-separated `host:port` bootstrap list. */
    kafkaBrokers: string;
    clickhouse: ClickHouseService;
  }
}
