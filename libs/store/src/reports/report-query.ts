import type { ClickHouseStore, QueryParams } from '../clickhouse-store';

/** How much one report query may take; sent in its SQL (per-call client settings leak on chDB). */
export interface QueryLimits {
  /** Seconds; ClickHouse aborts the query with TIMEOUT_EXCEEDED past it. */
  maxExecutionTimeSeconds: number;
  /** Bytes; ClickHouse aborts the query with MEMORY_LIMIT_EXCEEDED past it. */
  maxMemoryUsageBytes: number;
}

export const DEFAULT_QUERY_LIMITS: QueryLimits = {
  maxExecutionTimeSeconds: 10,
  maxMemoryUsageBytes: 1024 ** 3,
};

/** `SETTINGS max_execution_time = …, max_memory_usage = …` for the end of a SELECT. */
export function limitSettings(limits: QueryLimits): string {
  const time = limits.maxExecutionTimeSeconds;
  const memory = limits.maxMemoryUsageBytes;
  // Numbers from config, checked here because they are spliced into the SQL.
  if (!Number.isFinite(time) || time <= 0 || time > 86_400) {
    throw new RangeError(`maxExecutionTimeSeconds must be in (0, 86400], got ${time}`);
  }
  if (!Number.isSafeInteger(memory) || memory <= 0) {
    throw new RangeError(`maxMemoryUsageBytes must be a positive integer, got ${memory}`);
  }
  return `SETTINGS max_execution_time = ${time}, max_memory_usage = ${memory}`;
}

/** Runs a report SELECT (no SETTINGS of its own) under the limits, with bound parameters only. */
export async function reportQuery<T>(
  store: ClickHouseStore,
  tag: string,
  sql: string,
  params: QueryParams,
  limits: QueryLimits = DEFAULT_QUERY_LIMITS,
): Promise<T[]> {
  return store.query<T>(`${sql}\n${limitSettings(limits)}`, params, { tag });
}
