import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '@magicport/config';

const problemsOf = (env: Record<string, string>, flags = {}) => {
  try {
    loadConfig(env, { flags, cwd: '/srv' });
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
};

describe('loadConfig', () => {
  it('defaults: embedded store under ./.magicport, no brokers, port 8080, JSON logs off a TTY', () => {
    const config = loadConfig({}, { cwd: '/srv' });
    expect(config).toEqual({
      kafka: { brokers: [], compression: 'gzip', publishWorker: true },
      store: { mode: 'embedded', path: '/srv/.magicport/clickhouse', database: 'magicport' },
      http: { host: '127.0.0.1', port: 8080 },
      log: { level: 'info', pretty: false },
      ingest: {
        groupId: 'magicport-ingest',
        maxRangeRows: 50_000,
        partitionsConcurrently: 2,
        maxRecordBytes: 1024 * 1024,
        migrate: true,
        sessionTimeoutMs: 30_000,
        dedup: true,
      },
      api: {
        blacklistTokens: '',
        reads: 'open',
        queryTimeoutSeconds: 10,
        queryMaxMemoryBytes: 1024 * 1024 * 1024,
      },
    });
  });

  it('reads the API keys and names the bad ones', () => {
    const config = loadConfig({
      MAGICPORT_BLACKLIST_TOKENS: 'ci:abc',
      MAGICPORT_API_READS: 'token',
      MAGICPORT_QUERY_TIMEOUT_S: '3',
      MAGICPORT_QUERY_MAX_MEMORY_MB: '64',
    });
    expect(config.api).toEqual({
      blacklistTokens: 'ci:abc',
      reads: 'token',
      queryTimeoutSeconds: 3,
      queryMaxMemoryBytes: 64 * 1024 * 1024,
    });
    expect(() =>
      loadConfig({ MAGICPORT_API_READS: 'closed', MAGICPORT_QUERY_TIMEOUT_S: '0' }),
    ).toThrow(/MAGICPORT_API_READS: expected open or token[\s\S]*MAGICPORT_QUERY_TIMEOUT_S/);
  });

  it('reads every key', () => {
    const config = loadConfig({
      KAFKA_BROKERS: 'a:9092, b:9093',
      CLICKHOUSE_URL: 'http://u:p@ch:8123/db',
      MAGICPORT_HTTP_PORT: '0',
      MAGICPORT_LOG_FORMAT: 'pretty',
      MAGICPORT_INGEST_GROUP: 'g.1',
      MAGICPORT_MIGRATE: '0',
    });
    expect(config.kafka.brokers).toEqual(['a:9092', 'b:9093']);
    expect(config.store).toEqual({
      mode: 'server',
      url: 'http://ch:8123',
      username: 'u',
      password: 'p',
      database: 'db',
    });
    expect(config.http.port).toBe(0);
    expect(config.log.pretty).toBe(true);
    expect(config.ingest.groupId).toBe('g.1');
    expect(config.ingest.migrate).toBe(false);
  });

  it('reports every bad key at once, each with what it expects', () => {
    expect(
      problemsOf({
        KAFKA_BROKERS: 'ok:1,nope',
        CLICKHOUSE_URL: 'localhost:8123',
        MAGICPORT_KAFKA_COMPRESSION: 'zstd',
        MAGICPORT_PUBLISH_WORKER: 'yes',
        MAGICPORT_HTTP_PORT: '70000',
        MAGICPORT_LOG_LEVEL: 'loud',
        MAGICPORT_LOG_FORMAT: 'xml',
        MAGICPORT_INGEST_GROUP: 'bad group',
        MAGICPORT_INGEST_MAX_RANGE_ROWS: '0',
        MAGICPORT_INGEST_CONCURRENCY: 'two',
        MAGICPORT_MAX_RECORD_BYTES: '10',
        MAGICPORT_MIGRATE: 'true',
        MAGICPORT_KAFKA_SESSION_TIMEOUT_MS: '100',
        MAGICPORT_INGEST_DEDUP: 'off',
      }).map((p) => p.key),
    ).toEqual([
      'KAFKA_BROKERS',
      'MAGICPORT_INGEST_GROUP',
      'MAGICPORT_KAFKA_COMPRESSION',
      'MAGICPORT_PUBLISH_WORKER',
      'MAGICPORT_HTTP_PORT',
      'MAGICPORT_LOG_LEVEL',
      'MAGICPORT_LOG_FORMAT',
      'MAGICPORT_INGEST_MAX_RANGE_ROWS',
      'MAGICPORT_INGEST_CONCURRENCY',
      'MAGICPORT_MAX_RECORD_BYTES',
      'MAGICPORT_MIGRATE',
      'MAGICPORT_KAFKA_SESSION_TIMEOUT_MS',
      'MAGICPORT_INGEST_DEDUP',
      'CLICKHOUSE_URL',
    ]);
  });

  it('names the variable, the flag it came from, and what is expected', () => {
    expect(problemsOf({}, { MAGICPORT_HTTP_PORT: { flag: '--port', value: 'http' } })).toEqual([
      {
        key: 'MAGICPORT_HTTP_PORT (--port)',
        message: 'expected an integer from 0 to 65535 (0 = any free port), got "http"',
      },
    ]);
    expect(problemsOf({ KAFKA_BROKERS: 'x' })[0]).toEqual({
      key: 'KAFKA_BROKERS',
      message: 'expected comma-separated host:port list, got "x"',
    });
  });

  it('flags win over the environment', () => {
    const config = loadConfig(
      { KAFKA_BROKERS: 'env:1', MAGICPORT_CLICKHOUSE_PATH: '/env' },
      {
        flags: {
          KAFKA_BROKERS: { flag: '--brokers', value: 'flag:2' },
          MAGICPORT_CLICKHOUSE_PATH: { flag: '--clickhouse-path', value: '/flag' },
        },
      },
    );
    expect(config.kafka.brokers).toEqual(['flag:2']);
    expect(config.store).toMatchObject({ mode: 'embedded', path: '/flag' });
  });
});
