import { fromClickHouseTime } from '../raw/raw-time';

/**
 * Explicit conversions of JSONEachRow values to domain values. UInt64 arrives as a decimal
 * string (PINNED_SETTINGS); counts and sequence numbers fit 2^53, Kafka offsets need bigint.
 */
export function u64(value: unknown): number {
  const n = typeof value === 'string' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) {
    throw new TypeError(
      `expected a UInt64 below 2^53 from ClickHouse, got ${JSON.stringify(value)}`,
    );
  }
  return n;
}

export function u64OrNull(value: unknown): number | null {
  return value === null ? null : u64(value);
}

export function u64Big(value: unknown): bigint {
  if (typeof value !== 'string' && typeof value !== 'number') {
    throw new TypeError(`expected a UInt64 from ClickHouse, got ${JSON.stringify(value)}`);
  }
  return BigInt(value);
}

/** DateTime64(6) text to an event time (`…T…Z`). */
export function time(value: unknown): string {
  if (typeof value !== 'string')
    throw new TypeError(`expected a time, got ${JSON.stringify(value)}`);
  return fromClickHouseTime(value);
}

export function str(value: unknown): string {
  if (typeof value !== 'string')
    throw new TypeError(`expected a string, got ${JSON.stringify(value)}`);
  return value;
}

export function strOrNull(value: unknown): string | null {
  return value === null ? null : str(value);
}

export function num(value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new TypeError(`expected a number, got ${JSON.stringify(value)}`);
  }
  return value;
}

export function numOrNull(value: unknown): number | null {
  return value === null ? null : num(value);
}

export function bool(value: unknown): boolean {
  if (typeof value !== 'boolean')
    throw new TypeError(`expected a boolean, got ${JSON.stringify(value)}`);
  return value;
}

export function strings(value: unknown): string[] {
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
    throw new TypeError(`expected an array of strings, got ${JSON.stringify(value)}`);
  }
  return value as string[];
}

export function numbers(value: unknown): number[] {
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'number')) {
    throw new TypeError(`expected an array of numbers, got ${JSON.stringify(value)}`);
  }
  return value as number[];
}
