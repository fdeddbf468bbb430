import { Type, type Static, type TObject, type TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { Value } from '@sinclair/typebox/value';
import { productNumber } from '@magicport/protocol';
import { badRequest } from './api-problem';

/** Request parameter schemas shared by the endpoints; each `description` is what a 400 quotes. */
export const P = {
  time: (description: string) =>
    Type.String({
      pattern: '^\\d{4}-\\d{2}-\\d{2}(T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,6})?Z)?$',
      maxLength: 32,
      description: `${description}: a UTC time like 2026-03-01T12:00:00Z or a day like 2026-03-01`,
    }),
  day: (description: string) =>
    Type.String({
      pattern: '^\\d{4}-\\d{2}-\\d{2}$',
      maxLength: 10,
      description: `${description}: a UTC day like 2026-03-01`,
    }),
  product: Type.String({
    pattern: '^(?:[A-Za-z][A-Za-z0-9.+-]{0,63}|\\d{1,5}|0x[0-9A-Fa-f]{1,4})$',
    maxLength: 64,
    description: 'PV driver product: its registry name (linux) or number (3, 0x3)',
  }),
  build: Type.Integer({
    minimum: 0,
    maximum: 4294967295,
    description: 'driver build number, 0 to 4294967295',
  }),
  host: Type.String({
    minLength: 1,
    maxLength: 255,
    pattern: '^[^\\u0000-\\u001f\\u007f]+$',
    description: 'host name',
  }),
  vm: Type.String({
    pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$',
    description: 'guest UUID, lowercase canonical form',
  }),
  boot: Type.Integer({
    minimum: 0,
    maximum: Number.MAX_SAFE_INTEGER,
    description: 'boot counter of the guest on its device model',
  }),
  revision: Type.Integer({
    minimum: 0,
    maximum: Number.MAX_SAFE_INTEGER,
    description: 'blacklist revision',
  }),
  limit: Type.Integer({
    minimum: 1,
    maximum: 1000,
    default: 100,
    description: 'rows per page, 1 to 1000',
  }),
  cursor: Type.String({
    maxLength: 1024,
    pattern: '^[A-Za-z0-9_-]+$',
    description: 'nextCursor of the previous page',
  }),
  text: (maxLength: number, description: string) =>
    Type.String({ minLength: 1, maxLength, pattern: '^[^\\u0000]+$', description }),
};

const checks = new WeakMap<TSchema, TypeCheck<TSchema>>();

function compiled<T extends TSchema>(schema: T): TypeCheck<T> {
  let check = checks.get(schema);
  if (!check) {
    check = TypeCompiler.Compile(schema);
    checks.set(schema, check);
  }
  return check as TypeCheck<T>;
}

/**
 * Checks raw input against `schema` (query strings converted to numbers first); a 400 whose
 * detail names the parameter and what it expects otherwise. Unknown parameters are refused, so a
 * misspelt filter is not silently ignored.
 */
export function parseInput<T extends TSchema>(
  schema: T,
  raw: unknown,
  where: 'query' | 'body',
): Static<T> {
  const value = where === 'query' ? Value.Default(schema, convertQuery(schema, raw)) : raw;
  const check = compiled(schema);
  if (check.Check(value)) return value as Static<T>;
  const error = check.Errors(value).First();
  const path = error?.path.replace(/^\//, '').replace(/\//g, '.') || where;
  const expected = (error?.schema as { description?: string } | undefined)?.description;
  let detail: string;
  if (
    error?.schema === schema &&
    (schema as unknown as TObject).properties &&
    typeof value === 'object' &&
    value !== null
  ) {
    const unknown = Object.keys(value).filter(
      (k) => !Object.hasOwn((schema as unknown as TObject).properties, k),
    );
    detail =
      unknown.length > 0
        ? `unknown ${where} parameter${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => JSON.stringify(k.slice(0, 64))).join(', ')}; known: ${Object.keys((schema as unknown as TObject).properties).join(', ') || 'none'}`
        : `${where}: ${error?.message ?? 'invalid'}`;
  } else {
    detail = `${path}: ${expected ? `expected ${expected}` : (error?.message ?? 'invalid value')}`;
  }
  throw badRequest(detail, { parameter: path });
}

/**
 * Query strings as the schema's types: only plain decimal integers become numbers and only
 * true/false become booleans (TypeBox's Convert reads "1e309" or "1.5" as 1, which would turn a
 * bad parameter into a silently different one).
 */
function convertQuery(schema: TSchema, raw: unknown): Record<string, unknown> {
  const input = { ...(raw as Record<string, unknown>) };
  const properties = (schema as unknown as TObject).properties ?? {};
  for (const [name, value] of Object.entries(input)) {
    const type = (properties[name] as { type?: string } | undefined)?.type;
    if (typeof value !== 'string') continue;
    if ((type === 'integer' || type === 'number') && /^-?\d{1,20}$/.test(value))
      input[name] = Number(value);
    if (type === 'boolean' && (value === 'true' || value === 'false'))
      input[name] = value === 'true';
  }
  return input;
}

/** `2026-03-01` or `2026-03-01T12:00:00.5Z` as ClickHouse DateTime64(6) text, a real calendar day. */
export function chTime(name: string, value: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?Z)?$/.exec(value);
  const [, y, mo, d, hh = '00', mi = '00', ss = '00', frac = ''] = m ?? [];
  if (
    !m ||
    !realDay(Number(y), Number(mo), Number(d)) ||
    Number(hh) > 23 ||
    Number(mi) > 59 ||
    Number(ss) > 59
  ) {
    throw badRequest(
      `${name}: expected a real UTC time from 1970 to 2299, like 2026-03-01T12:00:00Z, got ${JSON.stringify(value)}`,
      { parameter: name },
    );
  }
  return `${y}-${mo}-${d} ${hh}:${mi}:${ss}.${frac.padEnd(6, '0')}`;
}

/** A day `YYYY-MM-DD` checked to exist. */
export function chDay(name: string, value: string): string {
  return chTime(name, value.slice(0, 10)).slice(0, 10);
}

function realDay(y: number, m: number, d: number): boolean {
  if (y < 1970 || y > 2299 || m < 1 || m > 12 || d < 1) return false;
  return d <= new Date(Date.UTC(y, m, 0)).getUTCDate();
}

export function checkRange(from: string, to: string): void {
  if (from >= to)
    throw badRequest(`from must be before to (got from ${from}, to ${to})`, { parameter: 'from' });
}

/** A product parameter as its number: a registered name, or any 16-bit number. */
export function productParam(value: string): number {
  if (/^\d+$/.test(value) || /^0x/i.test(value)) {
    const n = Number(value);
    if (n > 0xffff)
      throw badRequest(`product: a product number is 0 to 65535, got ${value}`, {
        parameter: 'product',
      });
    return n;
  }
  const n = productNumber(value);
  if (n === null)
    throw badRequest(
      `product: ${JSON.stringify(value)} is not a registered product name; give its number instead`,
      { parameter: 'product' },
    );
  return n;
}

export const ALL_TIME = { from: '1970-01-01', to: '2299-12-31' };
