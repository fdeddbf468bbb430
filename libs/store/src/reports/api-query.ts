import type { ClickHouseStore, QueryParams } from '../clickhouse-store';
import type { RetryPolicy } from '../transient-retry';

const ONE_ATTEMPT: RetryPolicy = { attempts: 1, baseDelayMs: 0, maxDelayMs: 0 };

/**
 * What one API query may take, sent in its SQL as `SETTINGS max_execution_time = …,
 * max_memory_usage = …` (per-call client settings leak on chDB), so one heavy request is
 * aborted by the engine and the next one is served.
 */
export interface ApiQueryLimits {
  /** Seconds; past it ClickHouse aborts with TIMEOUT_EXCEEDED. */
  maxExecutionTimeSeconds: number;
  /** Bytes; past it ClickHouse aborts with MEMORY_LIMIT_EXCEEDED. */
  maxMemoryUsageBytes: number;
}

export const DEFAULT_API_QUERY_LIMITS: ApiQueryLimits = {
  maxExecutionTimeSeconds: 10,
  maxMemoryUsageBytes: 1024 ** 3,
};

/** The SETTINGS clause for `limits`; the numbers come from config and are checked before splicing. */
export function apiLimitSettings(limits: ApiQueryLimits): string {
  const time = limits.maxExecutionTimeSeconds;
  const memory = limits.maxMemoryUsageBytes;
  if (!Number.isFinite(time) || time <= 0 || time > 86_400) {
    throw new RangeError(`maxExecutionTimeSeconds must be in (0, 86400], got ${time}`);
  }
  if (!Number.isSafeInteger(memory) || memory <= 0) {
    throw new RangeError(`maxMemoryUsageBytes must be a positive integer, got ${memory}`);
  }
  // timeout_overflow_mode 'throw' is the default; pinned because 'break' would return a partial answer.
  return `SETTINGS max_execution_time = ${time}, max_memory_usage = ${memory}, timeout_overflow_mode = 'throw'`;
}

/** A report SELECT (without SETTINGS of its own) run under `limits`, with bound parameters only. */
export function limitedQuery<T>(
  store: ClickHouseStore,
  tag: string,
  sql: string,
  params: QueryParams,
  limits: ApiQueryLimits,
): Promise<T[]> {
  // One attempt: a query past its limit would only hit it again, and the caller is waiting.
  return store.query<T>(`${sql}\n${apiLimitSettings(limits)}`, params, { tag, retry: ONE_ATTEMPT });
}

/** Conditions and their parameters, joined with AND; values only ever go into `params`. */
export class Where {
  private readonly parts: string[] = [];
  readonly params: QueryParams = {};

  add(condition: string, params: QueryParams = {}): this {
    this.parts.push(condition);
    Object.assign(this.params, params);
    return this;
  }

  /** Adds `condition` only when `value` is given. */
  maybe(value: unknown, condition: string, params: QueryParams): this {
    return value === undefined || value === null ? this : this.add(condition, params);
  }

  toString(): string {
    return this.parts.length === 0 ? '1' : this.parts.join(' AND ');
  }
}

/** ClickHouse DateTime64(6) text to an ISO event time. */
export function isoTime(text: string): string {
  return `${text.slice(0, 10)}T${text.slice(11)}Z`;
}

/** ClickHouse DateTime64(6) text to microseconds since the epoch. */
export function timeUs(text: string): number {
  const seconds = Date.parse(`${text.slice(0, 19).replace(' ', 'T')}Z`) / 1000;
  return seconds * 1_000_000 + Number((text.slice(20) || '0').padEnd(6, '0'));
}

/** A UInt64 from JSONEachRow (a decimal string) as a number (counts, seqs and revisions fit 2^53). */
export function n64(value: unknown): number {
  return typeof value === 'string' ? Number(value) : (value as number);
}

export function n64OrNull(value: unknown): number | null {
  return value === null || value === undefined ? null : n64(value);
}
