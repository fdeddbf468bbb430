/**
 * How a failed call may be retried:
 * - `unsent`: the request never reached ClickHouse (connection refused), so any call is safe to repeat;
 * - `transient`: it may have run (reset, timeout, overload), so only idempotent calls are repeated;
 * - `permanent`: repeating cannot help (syntax, unknown table, bad data).
 */
export type FailureKind = 'unsent' | 'transient' | 'permanent';

const UNSENT_CODES = new Set(['ECONNREFUSED', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);
const TRANSIENT_CODES = new Set([
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ECONNABORTED',
  'UND_ERR_SOCKET',
]);
/** ClickHouse exception types that a later attempt can succeed past. */
const TRANSIENT_TYPES = new Set([
  'TIMEOUT_EXCEEDED',
  'SOCKET_TIMEOUT',
  'NETWORK_ERROR',
  'TOO_MANY_SIMULTANEOUS_QUERIES',
  'NO_FREE_CONNECTION',
  'TOO_MANY_PARTS',
  'TABLE_IS_READ_ONLY',
  'UNKNOWN_STATUS_OF_INSERT',
  'KEEPER_EXCEPTION',
  'ALL_CONNECTION_TRIES_FAILED',
  'ALL_REPLICAS_ARE_STALE',
  'SERVER_OVERLOADED',
]);
// A proxy in front of ClickHouse answers 5xx with a body the client cannot parse as an exception.
const GATEWAY_FAILURE = /\b(502 Bad Gateway|503 Service Unavailable|504 Gateway Time-?out)\b/i;

export interface ClickHouseErrorShape {
  message: string;
  code: string;
  type: string;
}

/**
 * chDB bundles its own copy of the client's ClickHouseError, so `instanceof` fails for one of
 * the two backends: match on the name and the fields instead.
 */
export function asClickHouseError(err: unknown): ClickHouseErrorShape | undefined {
  if (!(err instanceof Error)) return undefined;
  const { code, type } = err as Error & { code?: unknown; type?: unknown };
  const named = err.constructor.name === 'ClickHouseError';
  if ((named || typeof type === 'string') && typeof code === 'string' && typeof type === 'string') {
    return { message: err.message, code, type };
  }
  return undefined;
}

export function classifyFailure(err: unknown): FailureKind {
  const clickhouse = asClickHouseError(err);
  if (clickhouse) return TRANSIENT_TYPES.has(clickhouse.type) ? 'transient' : 'permanent';
  if (!(err instanceof Error)) return 'permanent';
  const code = (err as Error & { code?: unknown }).code;
  if (typeof code === 'string' && UNSENT_CODES.has(code)) return 'unsent';
  if (typeof code === 'string' && TRANSIENT_CODES.has(code)) return 'transient';
  // The client reports its own request timeout and dropped sockets by message only.
  if (err.message === 'Timeout error.' || err.message === 'socket hang up') return 'transient';
  if (GATEWAY_FAILURE.test(err.message)) return 'transient';
  return 'permanent';
}

export type StoreOperation = 'open' | 'query' | 'command' | 'insert' | 'ping' | 'close';

export interface StoreErrorContext {
  operation: StoreOperation;
  /** Where the store points, e.g. "embedded chDB at /data/ch (database magicport)". */
  target: string;
  attempts: number;
  tag?: string;
  /** The statement or table, never row values. */
  statement?: string;
}

/** A failed ClickHouse call: what was attempted, where, how often, and the original cause. */
export class StoreError extends Error {
  readonly operation: StoreOperation;
  readonly target: string;
  readonly attempts: number;
  readonly tag: string | undefined;
  readonly kind: FailureKind;
  /** ClickHouse's numeric code and type (e.g. "60" / "UNKNOWN_TABLE") when the engine answered. */
  readonly clickhouseCode: string | undefined;
  readonly clickhouseType: string | undefined;

  constructor(context: StoreErrorContext, cause: unknown) {
    const clickhouse = asClickHouseError(cause);
    const reason = cause instanceof Error ? cause.message : String(cause);
    const tag = context.tag ? ` [${context.tag}]` : '';
    const tries = context.attempts > 1 ? ` after ${context.attempts} attempts` : '';
    const statement = context.statement ? `\n  statement: ${abbreviate(context.statement)}` : '';
    super(
      `ClickHouse ${context.operation}${tag} failed${tries} on ${context.target}: ${reason}${statement}`,
      { cause },
    );
    this.name = 'StoreError';
    this.operation = context.operation;
    this.target = context.target;
    this.attempts = context.attempts;
    this.tag = context.tag;
    this.kind = classifyFailure(cause);
    this.clickhouseCode = clickhouse?.code;
    this.clickhouseType = clickhouse?.type;
  }
}

/** The store cannot be opened as configured: the message says what to do about it. */
export class StoreOpenError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreOpenError';
  }
}

function abbreviate(sql: string): string {
  const flat = sql.replace(/\s+/g, ' ').trim();
  return flat.length > 300 ? `${flat.slice(0, 300)}…` : flat;
}
