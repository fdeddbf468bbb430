import { badRequest } from './api-problem';

export type CursorKey = readonly (string | number)[];

/** Keyset pagination: the sort key of a page's last row, opaque (base64url JSON tagged by endpoint). */
export function encodeCursor(tag: string, key: CursorKey): string {
  return Buffer.from(JSON.stringify([tag, ...key]), 'utf8').toString('base64url');
}

export function decodeCursor(
  tag: string,
  cursor: string,
  types: readonly ('string' | 'number')[],
): (string | number)[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parsed = null;
  }
  const ok =
    Array.isArray(parsed) &&
    parsed[0] === tag &&
    parsed.length === types.length + 1 &&
    types.every(
      (type, i) =>
        typeof parsed[i + 1] === type &&
        (type === 'string'
          ? (parsed[i + 1] as string).length <= 256
          : Number.isSafeInteger(parsed[i + 1]) && (parsed[i + 1] as number) >= 0),
    );
  if (!ok)
    throw badRequest('cursor: not a cursor this endpoint returned; start again without one', {
      parameter: 'cursor',
    });
  return (parsed as unknown[]).slice(1) as (string | number)[];
}

export interface Paged<T> {
  items: T[];
  nextCursor: string | null;
}

/** Rows fetched with limit + 1: the extra one says there is a next page. */
export function page<T>(
  tag: string,
  rows: T[],
  limit: number,
  keyOf: (row: T) => CursorKey,
): Paged<T> {
  if (rows.length <= limit) return { items: rows, nextCursor: null };
  const items = rows.slice(0, limit);
  return { items, nextCursor: encodeCursor(tag, keyOf(items[items.length - 1]!)) };
}
