import { isUtf8 } from 'node:buffer';
import type { MagicportEvent } from './envelope';
import { eventRegistry } from './event-catalog';
import { eventJson } from './event-json';
import type { CompiledVersion, EventRegistry } from './event-registry';
import { isEventTime } from './event-time';
import { isValidPortAccessV1 } from './port-access-check';
import { formatFieldError, preview, type FieldError } from './schema-check';

export type DecodeErrorCode =
  'malformed-json' | 'invalid-envelope' | 'unknown-type' | 'unknown-version' | 'invalid-payload';

/** A per-message outcome is a value: a bad record goes to the DLQ with `code` and `reason`. */
export type DecodeFailure = { ok: false; code: DecodeErrorCode; reason: string };
export type DecodeResult = { ok: true; event: MagicportEvent } | DecodeFailure;

export interface EventCodec {
  /** Parses, validates and upcasts one record value. Never throws, whatever the bytes. */
  decode(bytes: Buffer | string): DecodeResult;
  /** Validates and upcasts an already parsed value (e.g. an event built in memory). */
  check(value: unknown): DecodeResult;
}

export interface EventCodecOptions {
  /**
   * Accept port.access v1 events through the hand-written check first (port-access-check.ts),
   * anything it does not accept through the generic path. Only for the catalog's registry: the
   * check knows that registry's port.access v1, not another's.
   */
  fastPortAccess?: boolean;
}

/** A codec over any registry; tests use their own registries to exercise upcasting. */
export function createEventCodec(
  registry: EventRegistry,
  options: EventCodecOptions = {},
): EventCodec {
  const generic = (value: unknown) => checkEventValue(registry, value);
  if (options.fastPortAccess) {
    const kind = registry.get('port.access');
    if (kind?.current !== 1 || kind.envelope !== 'guest')
      throw new Error(
        'the fast port.access check knows port.access v1 as the current version only',
      );
  }
  // The fast check only ever says yes to what the generic path accepts unchanged (v1 is
  // port.access's current version: no upcast), so the verdicts and the event are the same.
  const check = options.fastPortAccess
    ? (value: unknown): DecodeResult =>
        isValidPortAccessV1(value) ? { ok: true, event: value as MagicportEvent } : generic(value)
    : generic;
  return { check, decode: (bytes) => decodeWith(check, bytes) };
}

/** JSON as UTF-8. Encoding does not validate: producers build events with the typed stamper. */
export function encodeEvent(event: MagicportEvent): Buffer {
  return Buffer.from(eventJson(event), 'utf8');
}

let current: EventCodec | null = null;
function currentCodec(): EventCodec {
  current ??= createEventCodec(eventRegistry(), { fastPortAccess: true });
  return current;
}

export function decodeEvent(bytes: Buffer | string): DecodeResult {
  return currentCodec().decode(bytes);
}

export function checkEvent(value: unknown): DecodeResult {
  return currentCodec().check(value);
}

function decodeWith(check: (value: unknown) => DecodeResult, bytes: Buffer | string): DecodeResult {
  if (typeof bytes !== 'string' && !isUtf8(bytes)) {
    return fail('malformed-json', 'record is not valid UTF-8');
  }
  let value: unknown;
  try {
    value = JSON.parse(typeof bytes === 'string' ? bytes : bytes.toString('utf8'));
  } catch (error) {
    return fail('malformed-json', `malformed JSON: ${(error as Error).message}`);
  }
  return check(value);
}

function checkEventValue(registry: EventRegistry, value: unknown): DecodeResult {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    const got = Array.isArray(value) ? 'an array' : preview(value);
    return fail('invalid-envelope', `an event must be a JSON object, got ${got}`);
  }
  const { type, v } = value as { type?: unknown; v?: unknown };
  if (typeof type !== 'string')
    return envelopeError({ path: '/type', reason: `must be a string, got ${preview(type)}` });
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
    return envelopeError({ path: '/v', reason: `must be an integer >= 0, got ${preview(v)}` });
  }
  const kind = registry.get(type);
  if (!kind) return fail('unknown-type', `unknown event type ${preview(type)}`);
  const version = kind.versions.get(v);
  if (!version) {
    const known = [...kind.versions.keys()].join(', ');
    return fail(
      'unknown-version',
      `unknown version ${v} of event type "${type}" (known: ${known})`,
    );
  }
  const failure = breachOf(version, value);
  if (failure) return failure;
  if (!version.upcast) return { ok: true, event: value as MagicportEvent };
  // Upcast data must meet today's contract too: a looser old rule or an upcaster bug stops here.
  const event = {
    ...(value as MagicportEvent),
    v: kind.current,
    data: version.upcast((value as MagicportEvent).data),
  };
  const upcastFailure = breachOf(kind.versions.get(kind.current)!, event);
  if (upcastFailure) {
    return { ...upcastFailure, reason: `${upcastFailure.reason} (after upcast from v${v})` };
  }
  return { ok: true, event: event as MagicportEvent };
}

/** Schema, then envelope rules, then payload rules: the first breach, or null. */
function breachOf(version: CompiledVersion, value: unknown): DecodeFailure | null {
  if (!version.check.test(value)) return fieldFailure(version.check.explain(value));
  const event = value as MagicportEvent;
  const envelope = envelopeRule(event);
  if (envelope) return envelopeError(envelope);
  const payload = version.refine?.(event.data);
  return payload ? fail('invalid-payload', formatFieldError(payload)) : null;
}

function envelopeRule(event: MagicportEvent): FieldError | null {
  const id = `${event.dm}:${event.seq}`;
  if (event.id !== id)
    return { path: '/id', reason: `must be "${id}" ({dm}:{seq}), got ${preview(event.id)}` };
  if (!isEventTime(event.time))
    return { path: '/time', reason: `is not a calendar date: "${event.time}"` };
  return null;
}

function fieldFailure(error: FieldError): DecodeFailure {
  const inData = error.path === '/data' || error.path.startsWith('/data/');
  return fail(inData ? 'invalid-payload' : 'invalid-envelope', formatFieldError(error));
}

function envelopeError(error: FieldError): DecodeFailure {
  return fail('invalid-envelope', formatFieldError(error));
}

function fail(code: DecodeErrorCode, reason: string): DecodeFailure {
  return { ok: false, code, reason };
}
