import { ReportInputError } from './report-input';

/**
 * Keyset pagination: a cursor is the sort key of the last row of a page, opaque to callers
 * (base64url JSON, tagged with the report so one report's cursor is refused by another).
 */
export type CursorKey = readonly (string | number)[];

export interface Page<T> {
  rows: T[];
  /** Pass back as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

export function encodeCursor(report: string, key: CursorKey): string {
  return Buffer.from(JSON.stringify([report, ...key]), 'utf8').toString('base64url');
}

/** The key of a cursor for `report` whose parts have the given types, or a ReportInputError. */
export function decodeCursor(
  report: string,
  cursor: string,
  types: readonly ('string' | 'number')[],
): (string | number)[] {
  let parsed: unknown;
  try {
    if (cursor.length > 2048 || !/^[A-Za-z0-9_-]*$/.test(cursor)) throw new Error('not base64url');
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new ReportInputError('cursor', 'not a cursor this API returned');
  }
  if (
    !Array.isArray(parsed) ||
    parsed[0] !== report ||
    parsed.length !== types.length + 1 ||
    !types.every((type, i) => typeof parsed[i + 1] === type)
  ) {
    throw new ReportInputError('cursor', `not a cursor of ${report}`);
  }
  return parsed.slice(1) as (string | number)[];
}

/** Splits one extra fetched row off into the next page's cursor. */
export function toPage<T>(
  report: string,
  rows: T[],
  limit: number,
  keyOf: (row: T) => CursorKey,
): Page<T> {
  if (rows.length <= limit) return { rows, nextCursor: null };
  const page = rows.slice(0, limit);
  return { rows: page, nextCursor: encodeCursor(report, keyOf(page[page.length - 1]!)) };
}
