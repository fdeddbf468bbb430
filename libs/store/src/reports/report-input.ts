/** A report parameter that cannot be used: the message says which and what is expected. */
export class ReportInputError extends Error {
  constructor(
    readonly parameter: string,
    message: string,
  ) {
    super(`${parameter}: ${message}`);
    this.name = 'ReportInputError';
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIME = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?)?Z?$/;

export function uuidParam(name: string, value: string): string {
  if (typeof value !== 'string' || !UUID.test(value)) {
    throw new ReportInputError(name, 'expected a lowercase canonical UUID');
  }
  return value;
}

/** A UTC day `YYYY-MM-DD` (1970-2249, a real calendar day). */
export function dayParam(name: string, value: string): string {
  const match = typeof value === 'string' ? DAY.exec(value) : null;
  if (match === null || !realDay(value)) {
    throw new ReportInputError(name, 'expected a UTC day like 2026-03-01');
  }
  return value;
}

/**
 * A UTC time (`2026-03-01`, `2026-03-01T12:00:00Z`, up to 6 fractional digits) as ClickHouse
 * DateTime64(6) text for a `{name:DateTime64(6, 'UTC')}` parameter.
 */
export function timeParam(name: string, value: string): string {
  const match = typeof value === 'string' ? TIME.exec(value) : null;
  const [, day, hh = '00', mm = '00', ss = '00', fraction = ''] = match ?? [];
  if (day === undefined || !realDay(day) || Number(hh) > 23 || Number(mm) > 59 || Number(ss) > 59) {
    throw new ReportInputError(
      name,
      'expected a UTC time like 2026-03-01T12:00:00Z or 2026-03-01T12:00:00.000001Z',
    );
  }
  return `${day} ${hh}:${mm}:${ss}.${fraction.padEnd(6, '0')}`;
}

export function uintParam(name: string, value: number, max: number): number {
  if (!Number.isSafeInteger(value) || value < 0 || value > max) {
    throw new ReportInputError(name, `expected an integer from 0 to ${max}`);
  }
  return value;
}

export function textParam(name: string, value: string, maxLength: number): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > maxLength) {
    throw new ReportInputError(name, `expected 1 to ${maxLength} characters`);
  }
  if (/\p{Cs}/u.test(value)) throw new ReportInputError(name, 'contains a lone UTF-16 surrogate');
  return value;
}

export const MAX_PAGE = 1000;

/** Page size: 1 to MAX_PAGE, `fallback` when not given. */
export function pageSize(value: number | undefined, fallback = 100): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1 || value > MAX_PAGE) {
    throw new ReportInputError('limit', `expected an integer from 1 to ${MAX_PAGE}`);
  }
  return value;
}

function realDay(day: string): boolean {
  const year = Number(day.slice(0, 4));
  if (year < 1970 || year > 2249) return false;
  const parsed = new Date(`${day}T00:00:00Z`);
  return !Number.isNaN(parsed.getTime()) && parsed.toISOString().slice(0, 10) === day;
}
