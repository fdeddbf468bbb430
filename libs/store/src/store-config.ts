import { isAbsolute, resolve } from 'node:path';

/** Where ClickHouse lives: a server over HTTP(S), or chDB embedded in this process. */
export type StoreConfig = ServerStoreConfig | EmbeddedStoreConfig;

export interface ServerStoreConfig {
  mode: 'server';
  /** Origin only (`http://host:8123`): credentials and database are split out below. */
  url: string;
  username: string;
  password: string;
  database: string;
}

export interface EmbeddedStoreConfig {
  mode: 'embedded';
  /** Absolute on-disk data directory; chDB allows one per process. */
  path: string;
  database: string;
}

export interface ConfigIssue {
  key: string;
  message: string;
}

/** A bad environment: every offending key at once, so one restart fixes them all. */
export class StoreConfigError extends Error {
  constructor(readonly issues: readonly ConfigIssue[]) {
    super(
      `invalid ClickHouse configuration:\n${issues.map((i) => `  - ${i.key}: ${i.message}`).join('\n')}`,
    );
    this.name = 'StoreConfigError';
  }
}

export const DEFAULT_DATABASE = 'magicport';
export const DEFAULT_EMBEDDED_PATH = './.magicport/clickhouse';

const DATABASE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** Plain identifiers only: the name is spliced into DDL (CREATE DATABASE, USE). */
export function isDatabaseName(name: string): boolean {
  return DATABASE_NAME.test(name);
}

/**
 * Reads `CLICKHOUSE_URL` (server mode; user, password and database taken from the URL) or,
 * without it, `MAGICPORT_CLICKHOUSE_PATH` (embedded mode). Empty values count as unset.
 */
export function parseStoreConfig(
  env: Readonly<Record<string, string | undefined>>,
  cwd: string = process.cwd(),
): StoreConfig {
  const issues: ConfigIssue[] = [];
  const url = env.CLICKHOUSE_URL?.trim();
  const config = url ? parseServerUrl(url, issues) : parseEmbedded(env, cwd, issues);
  if (issues.length > 0 || !config) throw new StoreConfigError(issues);
  return config;
}

function parseServerUrl(raw: string, issues: ConfigIssue[]): ServerStoreConfig | undefined {
  const key = 'CLICKHOUSE_URL';
  // "localhost:8123" would parse as scheme "localhost:": say what is missing instead.
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(raw)) {
    issues.push({
      key,
      message: `expected http(s)://[user:password@]host:port[/database], got ${JSON.stringify(redact(raw))}`,
    });
    return undefined;
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    issues.push({ key, message: `not a URL: ${JSON.stringify(redact(raw))}` });
    return undefined;
  }
  const before = issues.length;
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    issues.push({
      key,
      message: `scheme must be http or https, got "${url.protocol.slice(0, -1)}" (the HTTP interface, e.g. http://localhost:8123)`,
    });
  }
  if (url.search || url.hash) {
    issues.push({ key, message: 'query string and fragment are not supported' });
  }
  const database = databaseFromPath(url.pathname, issues);
  if (issues.length > before) return undefined;
  return {
    mode: 'server',
    url: url.origin,
    username: decodeURIComponent(url.username) || 'default',
    password: decodeURIComponent(url.password),
    database,
  };
}

function databaseFromPath(pathname: string, issues: ConfigIssue[]): string {
  const segments = pathname.split('/').filter((s) => s.length > 0);
  if (segments.length === 0) return DEFAULT_DATABASE;
  const name = decodeURIComponent(segments.join('/'));
  if (segments.length > 1 || !isDatabaseName(name)) {
    issues.push({
      key: 'CLICKHOUSE_URL',
      message: `path must be a single database name of letters, digits and _ (got "${name}")`,
    });
  }
  return name;
}

function parseEmbedded(
  env: Readonly<Record<string, string | undefined>>,
  cwd: string,
  issues: ConfigIssue[],
): EmbeddedStoreConfig | undefined {
  const raw = env.MAGICPORT_CLICKHOUSE_PATH?.trim() || DEFAULT_EMBEDDED_PATH;
  if (raw.includes('\0')) {
    issues.push({ key: 'MAGICPORT_CLICKHOUSE_PATH', message: 'contains a NUL byte' });
    return undefined;
  }
  // chDB compares paths literally: resolve once so "./x" and "/abs/x" are the same store.
  return {
    mode: 'embedded',
    path: isAbsolute(raw) ? resolve(raw) : resolve(cwd, raw),
    database: DEFAULT_DATABASE,
  };
}

/** A URL without its password, for messages and logs. */
export function redact(raw: string): string {
  try {
    const url = new URL(raw);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return raw.replace(/\/\/([^:/@]*):[^@/]*@/, '//$1:***@');
  }
}

/** Where a config points, safe to print. */
export function describeTarget(config: StoreConfig): string {
  return config.mode === 'server'
    ? `ClickHouse server ${config.url} (database ${config.database})`
    : `embedded chDB at ${config.path} (database ${config.database})`;
}
