import { randomUUID } from 'node:crypto';
import type { ClickHouseClient } from '@clickhouse/client';
import { parseError } from '@clickhouse/client';
import type { EmbeddedRawInsert } from './clickhouse-connection';
import { assertTableName, insertTarget, rawInsertSettings } from './insert-target';
import { PreEncodedRows } from './pre-encoded-rows';
import { StoreError, type FailureKind, type StoreOperation } from './store-errors';
import { DEFAULT_RETRY, RetryExhausted, withRetry, type RetryPolicy } from './transient-retry';

/** Values for `{name:Type}` placeholders; the only way values enter SQL. */
export type QueryParams = Record<string, unknown>;

export interface CallOptions {
  /** Names the call in errors and (on a server) in system.query_log's query_id. */
  tag?: string;
  /** Overrides the store's retry policy for this call (e.g. one attempt for a query under a time limit). */
  retry?: RetryPolicy;
}

export interface InsertOptions extends CallOptions {
  /** Same token, same rows: ClickHouse stores them once (tables need a dedup window). */
  dedupToken?: string;
  /** Insert into these columns only (required to fill EPHEMERAL columns). */
  columns?: readonly string[];
}

/** The one way into ClickHouse, identical for a server and for embedded chDB. */
export interface ClickHouseStore {
  readonly mode: 'server' | 'embedded';
  readonly database: string;
  /** Where the store points, safe to print (no password). */
  readonly target: string;
  /** Rows as JSONEachRow objects: UInt64 as strings, DateTime as UTC "YYYY-MM-DD hh:mm:ss". */
  query<T = Record<string, unknown>>(
    sql: string,
    params?: QueryParams,
    options?: CallOptions,
  ): Promise<T[]>;
  command(sql: string, params?: QueryParams, options?: CallOptions): Promise<void>;
  insert(table: string, rows: readonly object[], options?: InsertOptions): Promise<void>;
  /**
   * Inserts JSONEachRow text as it is (one JSON object per line, as a string or its UTF-8
   * bytes): for callers that write their rows' JSON themselves, which costs about half of what
   * the client's JSON.stringify does. Embedded, bytes reach the engine without a copy.
   */
  insertJsonEachRow(
    table: string,
    body: string | Uint8Array,
    options?: InsertOptions,
  ): Promise<void>;
  /** Resolves when ClickHouse answers a query; rejects with a StoreError otherwise. */
  ping(): Promise<void>;
  version(): Promise<string>;
  close(): Promise<void>;
}

const UNSENT_ONLY: ReadonlySet<FailureKind> = new Set(['unsent']);
const ANY_TRANSIENT: ReadonlySet<FailureKind> = new Set(['unsent', 'transient']);

export interface ClientStoreParts {
  client: ClickHouseClient;
  mode: 'server' | 'embedded';
  database: string;
  target: string;
  retry?: RetryPolicy;
  /** Embedded only: chDB's zero-copy insert, used for pre-encoded rows. */
  rawInsert?: EmbeddedRawInsert;
}

/** The pinned settings that decide how inserted rows are read (see PINNED_SETTINGS). */
const RAW_INSERT_PINNED = {
  date_time_input_format: 'best_effort',
  session_timezone: 'UTC',
  input_format_skip_unknown_fields: 1,
  async_insert: 0,
  insert_deduplicate: 1,
} as const;

export class ClientStore implements ClickHouseStore {
  readonly mode: 'server' | 'embedded';
  readonly database: string;
  readonly target: string;
  private readonly client: ClickHouseClient;
  private readonly retry: RetryPolicy;
  private readonly rawInsert: EmbeddedRawInsert | undefined;
  private closed = false;

  constructor(parts: ClientStoreParts) {
    this.client = parts.client;
    this.mode = parts.mode;
    this.database = parts.database;
    this.target = parts.target;
    this.retry = parts.retry ?? DEFAULT_RETRY;
    this.rawInsert = parts.rawInsert;
  }

  async query<T = Record<string, unknown>>(
    sql: string,
    params: QueryParams = {},
    options: CallOptions = {},
  ): Promise<T[]> {
    // Reads are idempotent: any transient failure is worth another try.
    return this.run('query', sql, options.tag, ANY_TRANSIENT, options.retry, async () => {
      const result = await this.client.query({
        query: sql,
        query_params: params,
        format: 'JSONEachRow',
        query_id: queryId(options.tag),
      });
      return result.json<T>();
    });
  }

  async command(sql: string, params: QueryParams = {}, options: CallOptions = {}): Promise<void> {
    // A command that may have run (DDL, mutation) is not repeated blindly.
    await this.run('command', sql, options.tag, UNSENT_ONLY, undefined, async () => {
      await this.client.command({
        query: sql,
        query_params: params,
        query_id: queryId(options.tag),
      });
    });
  }

  async insert(table: string, rows: readonly object[], options: InsertOptions = {}): Promise<void> {
    const target = insertTarget(table, options.dedupToken, options.columns);
    if (rows.length === 0) return;
    // With a token a repeat is deduplicated, so it is safe after an ambiguous failure.
    const retryOn = options.dedupToken === undefined ? UNSENT_ONLY : ANY_TRANSIENT;
    await this.run('insert', target, options.tag, retryOn, undefined, async () => {
      await this.client.insert({
        table: target,
        values: rows as object[],
        format: 'JSONEachRow',
        query_id: queryId(options.tag),
      });
    });
  }

  async insertJsonEachRow(
    table: string,
    body: string | Uint8Array,
    options: InsertOptions = {},
  ): Promise<void> {
    const target = insertTarget(table, options.dedupToken, options.columns);
    if (body.length === 0) return;
    const retryOn = options.dedupToken === undefined ? UNSENT_ONLY : ANY_TRANSIENT;
    const rawInsert = this.rawInsert;
    if (rawInsert !== undefined) {
      // Qualified: the raw insert runs on chDB's session without the client's USE.
      const qualified = assertTableName(table).includes('.') ? table : `${this.database}.${table}`;
      const settings = rawInsertSettings(RAW_INSERT_PINNED, options.dedupToken);
      await this.run('insert', target, options.tag, retryOn, undefined, async () => {
        try {
          await rawInsert({
            table: qualified,
            values: body,
            format: 'JSONEachRow',
            columns: options.columns,
            settings,
          });
        } catch (err) {
          // The engine's "Code: N. DB::Exception: ... (TYPE)" as the client's error, as the
          // client path reports it, so failures are classified the same on both paths.
          throw typedClickHouseError(err);
        }
      });
      return;
    }
    const text = typeof body === 'string' ? body : Buffer.from(body).toString('utf8');
    await this.run('insert', target, options.tag, retryOn, undefined, async () => {
      await this.client.insert({
        table: target,
        // The client appends the newline after the last row.
        values: [new PreEncodedRows(text)],
        format: 'JSONEachRow',
        query_id: queryId(options.tag),
      });
    });
  }

  async ping(): Promise<void> {
    await this.run('ping', 'SELECT 1', undefined, new Set(), undefined, async () => {
      const result = await this.client.ping({ select: true });
      if (!result.success) throw result.error;
    });
  }

  async version(): Promise<string> {
    const rows = await this.query<{ version: string }>(
      'SELECT version() AS version',
      {},
      {
        tag: 'version',
      },
    );
    const version = rows[0]?.version;
    if (typeof version !== 'string') {
      throw new StoreError(
        { operation: 'query', target: this.target, attempts: 1, tag: 'version' },
        new Error(`SELECT version() returned ${JSON.stringify(rows)}`),
      );
    }
    return version;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.client.close();
  }

  private async run<T>(
    operation: StoreOperation,
    statement: string,
    tag: string | undefined,
    retryOn: ReadonlySet<FailureKind>,
    policy: RetryPolicy | undefined,
    call: () => Promise<T>,
  ): Promise<T> {
    if (this.closed) {
      throw new StoreError(
        { operation, target: this.target, attempts: 0, tag, statement },
        new Error('the store is closed'),
      );
    }
    try {
      return await withRetry(call, { policy: policy ?? this.retry, retryOn });
    } catch (err) {
      const exhausted = err instanceof RetryExhausted ? err : new RetryExhausted(1, err);
      throw new StoreError(
        { operation, target: this.target, attempts: exhausted.attempts, tag, statement },
        exhausted.cause,
      );
    }
  }
}

function typedClickHouseError(err: unknown): Error {
  const message = err instanceof Error ? err.message : String(err);
  const mapped = parseError(message);
  if (mapped !== err) mapped.cause = err;
  return mapped;
}

function queryId(tag: string | undefined): string | undefined {
  return tag ? `${tag}:${randomUUID()}` : undefined;
}
