import { parseStoreConfig, StoreConfigError, type StoreConfig } from '@magicport/store';
import { CONFIG_KEYS, type ConfigKey, type LogLevel, type MagicportConfig } from './config-schema';

export interface ConfigProblem {
  /** The variable, and the flag when the value came from one: `MAGICPORT_HTTP_PORT (--port)`. */
  key: string;
  message: string;
}

/** A bad configuration: every offending key at once, so one restart fixes them all. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: readonly ConfigProblem[]) {
    super(
      `invalid configuration:\n${problems.map((p) => `  - ${p.key}: ${p.message}`).join('\n')}`,
    );
  }
}

/** A flag's value standing in for a variable, with the flag's name for messages. */
export interface FlagValue {
  flag: string;
  value: string;
}

export interface LoadConfigOptions {
  /** Flags given on the command line; they win over the environment. */
  flags?: Partial<Record<ConfigKey, FlagValue>>;
  cwd?: string;
  /** Whether stdout is a terminal (pretty logs by default). */
  isTTY?: boolean;
}

const LOG_LEVELS: readonly LogLevel[] = [
  'trace',
  'debug',
  'info',
  'warn',
  'error',
  'fatal',
  'silent',
];
const BROKER = /^[A-Za-z0-9.-]+:\d{1,5}$|^\[[0-9A-Fa-f:.]+\]:\d{1,5}$/;
const GROUP_ID = /^[A-Za-z0-9._-]{1,200}$/;

/**
 * The one configuration loader of every magicport command: reads the environment (and flags
 * standing in for variables), checks every key and throws one ConfigError naming each bad one
 * with what it expects.
 */
export function loadConfig(
  env: Readonly<Record<string, string | undefined>>,
  options: LoadConfigOptions = {},
): MagicportConfig {
  const problems: ConfigProblem[] = [];
  const read = (key: ConfigKey) => {
    const flag = options.flags?.[key];
    const raw = flag ? flag.value : env[key];
    const value = raw?.trim() ? raw.trim() : undefined;
    const label = flag ? `${key} (${flag.flag})` : key;
    const bad = (got: string) =>
      problems.push({
        key: label,
        message: `expected ${CONFIG_KEYS[key]}, got ${JSON.stringify(got)}`,
      });
    return { value, bad, label };
  };
  const oneOf = <T extends string>(key: ConfigKey, allowed: readonly T[], fallback: T): T => {
    const { value, bad } = read(key);
    if (value === undefined) return fallback;
    if ((allowed as readonly string[]).includes(value)) return value as T;
    bad(value);
    return fallback;
  };
  const integer = (key: ConfigKey, min: number, max: number, fallback: number): number => {
    const { value, bad } = read(key);
    if (value === undefined) return fallback;
    const n = /^\d+$/.test(value) ? Number(value) : Number.NaN;
    if (Number.isSafeInteger(n) && n >= min && n <= max) return n;
    bad(value);
    return fallback;
  };

  const brokersRead = read('KAFKA_BROKERS');
  const brokers =
    brokersRead.value
      ?.split(',')
      .map((b) => b.trim())
      .filter(Boolean) ?? [];
  const badBrokers = brokers.filter((b) => !BROKER.test(b));
  if (badBrokers.length > 0) brokersRead.bad(badBrokers.join(','));

  const groupRead = read('MAGICPORT_INGEST_GROUP');
  if (groupRead.value !== undefined && !GROUP_ID.test(groupRead.value))
    groupRead.bad(groupRead.value);

  const config: Omit<MagicportConfig, 'store'> = {
    kafka: {
      brokers,
      compression: oneOf('MAGICPORT_KAFKA_COMPRESSION', ['gzip', 'none'], 'gzip'),
      publishWorker: oneOf('MAGICPORT_PUBLISH_WORKER', ['0', '1'], '1') === '1',
    },
    http: {
      host: read('MAGICPORT_HTTP_HOST').value ?? '127.0.0.1',
      port: integer('MAGICPORT_HTTP_PORT', 0, 65_535, 8080),
    },
    log: {
      level: oneOf('MAGICPORT_LOG_LEVEL', LOG_LEVELS, 'info'),
      pretty:
        oneOf('MAGICPORT_LOG_FORMAT', ['json', 'pretty'], options.isTTY ? 'pretty' : 'json') ===
        'pretty',
    },
    ingest: {
      groupId: groupRead.value ?? 'magicport-ingest',
      maxRangeRows: integer('MAGICPORT_INGEST_MAX_RANGE_ROWS', 1, 1_000_000, 50_000),
      partitionsConcurrently: integer('MAGICPORT_INGEST_CONCURRENCY', 1, 64, 2),
      maxRecordBytes: integer('MAGICPORT_MAX_RECORD_BYTES', 1024, 100 * 1024 * 1024, 1024 * 1024),
      migrate: oneOf('MAGICPORT_MIGRATE', ['0', '1'], '1') === '1',
      sessionTimeoutMs: integer('MAGICPORT_KAFKA_SESSION_TIMEOUT_MS', 6_000, 300_000, 30_000),
      dedup: oneOf('MAGICPORT_INGEST_DEDUP', ['0', '1'], '1') === '1',
    },
    api: {
      blacklistTokens: read('MAGICPORT_BLACKLIST_TOKENS').value ?? '',
      reads: oneOf('MAGICPORT_API_READS', ['open', 'token'], 'open'),
      queryTimeoutSeconds: integer('MAGICPORT_QUERY_TIMEOUT_S', 1, 3600, 10),
      queryMaxMemoryBytes:
        integer('MAGICPORT_QUERY_MAX_MEMORY_MB', 16, 1_048_576, 1024) * 1024 * 1024,
    },
  };
  const store = loadStore(env, options, problems);
  if (problems.length > 0 || !store) throw new ConfigError(problems);
  return { ...config, store };
}

/** parseStoreConfig's rules, with its issues reported among the others. */
function loadStore(
  env: Readonly<Record<string, string | undefined>>,
  options: LoadConfigOptions,
  problems: ConfigProblem[],
): StoreConfig | undefined {
  const merged: Record<string, string | undefined> = {
    CLICKHOUSE_URL: env.CLICKHOUSE_URL,
    MAGICPORT_CLICKHOUSE_PATH: env.MAGICPORT_CLICKHOUSE_PATH,
  };
  const labels: Record<string, string> = {};
  for (const key of ['CLICKHOUSE_URL', 'MAGICPORT_CLICKHOUSE_PATH'] as const) {
    const flag = options.flags?.[key];
    if (flag) {
      merged[key] = flag.value;
      labels[key] = `${key} (${flag.flag})`;
    }
  }
  try {
    return parseStoreConfig(merged, options.cwd);
  } catch (err) {
    if (!(err instanceof StoreConfigError)) throw err;
    for (const issue of err.issues) {
      problems.push({ key: labels[issue.key] ?? issue.key, message: issue.message });
    }
    return undefined;
  }
}
