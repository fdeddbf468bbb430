import type { StoreConfig } from '@magicport/store';

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';

/** Everything a magicport process reads from its environment and flags, parsed once. */
export interface MagicportConfig {
  kafka: {
    /** Bootstrap servers; empty = the in-process bus of the embedded mode. */
    brokers: string[];
    /** Record batch compression of what this process publishes. */
    compression: 'gzip' | 'none';
    /** Publish from a worker thread (the agent). */
    publishWorker: boolean;
  };
  store: StoreConfig;
  http: { host: string; port: number };
  log: { level: LogLevel; pretty: boolean };
  ingest: {
    /** Consumer group of the ingest; every replica of one deployment shares it. */
    groupId: string;
    /** Most records in one insert range (one dedup token per kind). */
    maxRangeRows: number;
    /** Partitions whose batches are ingested at the same time. */
    partitionsConcurrently: number;
    /** A record larger than this goes to the DLQ as `oversize`. */
    maxRecordBytes: number;
    /** Apply pending migrations at start. */
    migrate: boolean;
    /** How long the group waits for a member that stopped heartbeating (a killed server). */
    sessionTimeoutMs: number;
    /** Dedup tokens on inserts; off only to show what they prevent (the crash test's control). */
    dedup: boolean;
  };
  api: {
    /** `name:sha256hex` entries (see @magicport/blacklist parseTokens); empty = every write refused. */
    blacklistTokens: string;
    /** Whether reads are open or need a bearer token like writes. */
    reads: 'open' | 'token';
    /** Limits every API query carries in its SQL. */
    queryTimeoutSeconds: number;
    queryMaxMemoryBytes: number;
  };
}

/** The environment variables the loader reads, with what each one expects. */
export const CONFIG_KEYS = {
  KAFKA_BROKERS: 'comma-separated host:port list',
  CLICKHOUSE_URL: 'http(s)://[user:password@]host:port[/database]',
  MAGICPORT_CLICKHOUSE_PATH: 'embedded chDB data directory',
  MAGICPORT_KAFKA_COMPRESSION: 'gzip or none',
  MAGICPORT_PUBLISH_WORKER: '0 or 1',
  MAGICPORT_HTTP_HOST: 'interface address to listen on',
  MAGICPORT_HTTP_PORT: 'an integer from 0 to 65535 (0 = any free port)',
  MAGICPORT_LOG_LEVEL: 'trace, debug, info, warn, error, fatal or silent',
  MAGICPORT_LOG_FORMAT: 'json or pretty',
  MAGICPORT_INGEST_GROUP: 'a Kafka group id (letters, digits, . _ -)',
  MAGICPORT_INGEST_MAX_RANGE_ROWS: 'an integer from 1 to 1000000',
  MAGICPORT_INGEST_CONCURRENCY: 'an integer from 1 to 64',
  MAGICPORT_MAX_RECORD_BYTES: 'an integer from 1024 to 104857600',
  MAGICPORT_MIGRATE: '0 or 1',
  MAGICPORT_KAFKA_SESSION_TIMEOUT_MS: 'an integer from 6000 to 300000',
  MAGICPORT_INGEST_DEDUP: '1, or 0 for the crash test control only',
  MAGICPORT_BLACKLIST_TOKENS:
    'name:sha256hex entries separated by commas (write tokens, stored as hashes)',
  MAGICPORT_API_READS: 'open or token',
  MAGICPORT_QUERY_TIMEOUT_S: 'an integer from 1 to 3600 (seconds per API query)',
  MAGICPORT_QUERY_MAX_MEMORY_MB: 'an integer from 16 to 1048576 (MiB per API query)',
} as const;

export type ConfigKey = keyof typeof CONFIG_KEYS;
