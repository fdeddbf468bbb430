import { Type, type Static } from '@sinclair/typebox';
import type { HandshakeOutcome } from '@magicport/protocol';
import { EVENT_TIME_PATTERN } from './event-time';

/** Payloads of the guest events (topic magicport.events.v1): v1 of each, v2 of handshake.outcome. */

/** `description` doubles as the "expected" text of a pattern breach (see schema-check.ts). */
export const EventTimeSchema = Type.String({
  pattern: EVENT_TIME_PATTERN,
  description: 'a UTC time like 2026-03-01T12:00:00.000000Z (6 fractional digits)',
});
const uint = (maximum: number) => Type.Integer({ minimum: 0, maximum });
const nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) =>
  Type.Union([schema, Type.Null()]);
const closed = <T extends Parameters<typeof Type.Object>[0]>(properties: T) =>
  Type.Object(properties, { additionalProperties: false });
const kebabCode = Type.String({
  pattern: '^[a-z0-9]+(-[a-z0-9]+)*$',
  maxLength: 64,
  description: 'a kebab-case code',
});
/** Correlates a handshake's outcome with its log lines; chosen by the producer, e.g. `{dm}:{seq}` of its first access. */
const HandshakeIdSchema = Type.String({ minLength: 1, maxLength: 160 });

export const DmStartedSchema = closed({
  profile: Type.Union([
    Type.Literal('spec'),
    Type.Literal('qemu-traditional'),
    Type.Literal('qemu-upstream'),
  ]),
  /** Ignore mask writes from blacklisted drivers (spec profile only). */
  enforceBlacklist: Type.Boolean(),
  agentVersion: Type.String({ minLength: 1, maxLength: 64 }),
  /** Where the accesses come from: the simulator, a QEMU trace, or a qemu-dm log. */
  source: Type.Union([
    Type.Literal('simulated'),
    Type.Literal('qemu-trace'),
    Type.Literal('qemu-dm-log'),
  ]),
  options: closed({
    /** Forensic mode: each log byte access is also its own port.access event. */
    logByteAccesses: Type.Boolean(),
    /** Event-time gap after which an open handshake closes. */
    idleGapMs: uint(86_400_000),
  }),
});

export const DmStoppedSchema = closed({
  reason: Type.Union([
    Type.Literal('agent-stop'),
    Type.Literal('guest-shutdown'),
    Type.Literal('guest-destroyed'),
    Type.Literal('migrated-out'),
    Type.Literal('error'),
  ]),
  /** Free text for people, e.g. the error message. */
  detail: nullable(Type.String({ maxLength: 4096 })),
});

/**
 * One access to the platform ports 0x10-0x1f. `value` is what an `out` wrote (null for `in`),
 * `response` what an `in` returned (null for `out`); both fit the access width.
 */
export const PortAccessSchema = closed({
  op: Type.Union([Type.Literal('in'), Type.Literal('out')]),
  port: Type.Integer({ minimum: 0x10, maximum: 0x1f }),
  size: Type.Union([Type.Literal(1), Type.Literal(2), Type.Literal(4)]),
  value: nullable(uint(0xffffffff)),
  response: nullable(uint(0xffffffff)),
});

/** The fields of handshake.outcome v1: the protocol's outcome (DESIGN §4) plus the event's own. */
const handshakeOutcomeV1Fields = {
  handshakeId: HandshakeIdSchema,
  result: Type.Union([
    Type.Literal('unplugged'),
    Type.Literal('no-unplug'),
    Type.Literal('blacklisted'),
    Type.Literal('blacklist-ignored'),
    Type.Literal('version-unsupported'),
    Type.Literal('magic-mismatch'),
    Type.Literal('abandoned'),
  ]),
  protocolVersion: nullable(uint(0xff)),
  product: nullable(
    closed({ number: uint(0xffff), name: nullable(Type.String({ maxLength: 64 })) }),
  ),
  build: nullable(uint(0xffffffff)),
  blacklisted: Type.Boolean(),
  blacklistKey: nullable(Type.String({ minLength: 1, maxLength: 256 })),
  mask: uint(0xffff),
  maskWrites: Type.Array(uint(0xffff), { maxItems: 4096 }),
  unplug: closed({
    ideScsiDisks: Type.Boolean(),
    nics: Type.Boolean(),
    auxIdeDisks: Type.Boolean(),
    nvmeDisks: Type.Boolean(),
  }),
  unplugApplied: Type.Boolean(),
  violations: Type.Array(kebabCode, { maxItems: 256 }),
  startTime: EventTimeSchema,
  endTime: EventTimeSchema,
  /** Accesses that belong to the handshake (its log byte accesses included). */
  accessCount: uint(Number.MAX_SAFE_INTEGER),
};

/** v1 of handshake.outcome, as agents wrote it before they recorded the blacklist revision. */
export const HandshakeOutcomeV1Schema = closed(handshakeOutcomeV1Fields);

/**
 * handshake.outcome v2 (current): v1 plus `blacklistRevision`, the revision of the blacklist
 * view the agent answered the handshake's blacklist lookup from; null when no lookup was made
 * (no build write, a profile that never looks up, a tapped device model that answered itself)
 * and for v1 events (revision unknown).
 */
export const HandshakeOutcomeSchema = closed({
  ...handshakeOutcomeV1Fields,
  blacklistRevision: nullable(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })),
});

/** A guest line holds at most 4095 bytes (the device models' buffer): 5460 base64 characters. */
export const MAX_LOG_LINE_BYTES = 4095;

/**
 * One reassembled guest log line, with the 1-byte `out 0x12` accesses that made it: the line's
 * `accessCount` bytes are `bytesBase64` followed by `trigger` when not null, written between
 * `firstTime` and `lastTime`. Replay rebuilds those accesses from this event.
 */
export const GuestLogSchema = closed({
  /** Display form of the bytes (see guestLogText); the bytes are the truth. */
  text: Type.String({ maxLength: 4 * MAX_LOG_LINE_BYTES }),
  /** The line as the device model emitted it, standard padded base64. */
  bytesBase64: Type.String({
    maxLength: 5460,
    pattern: '^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$',
    description: 'standard padded base64',
  }),
  /** Flushed because the buffer filled (4095 bytes), not by '\n'. */
  truncated: Type.Boolean(),
  /** The byte access that flushed the line and was not stored ('\n' = 10, or the byte after a full buffer); null when flushed without one (stop, reset). */
  trigger: nullable(uint(0xff)),
  /** Lines the device model's rate limiter dropped right before this one. */
  droppedBefore: uint(Number.MAX_SAFE_INTEGER),
  /** Delay the profile's limiter would have imposed (qemu-traditional token bucket), modelled, not slept. */
  throttledMs: Type.Number({ minimum: 0, maximum: 86_400_000 }),
  accessCount: Type.Integer({ minimum: 1, maximum: MAX_LOG_LINE_BYTES + 1 }),
  firstTime: EventTimeSchema,
  lastTime: EventTimeSchema,
  /** The handshake open when the line was flushed, if any. */
  handshakeId: nullable(HandshakeIdSchema),
  /**
   * Who wrote the line. Absent means `guest` (every line written before this field existed,
   * and every line a guest wrote to the log port). `unattributed`: a line of a device-model log
   * that printed guest lines verbatim among its own output (qemu-dm) which neither shows a guest
   * driver's shape nor one of the device model's messages; kept so nothing is lost, and
   * searchable apart. Writers omit the field for guest lines, so those stay byte-identical.
   */
  attribution: Type.Optional(Type.Union([Type.Literal('guest'), Type.Literal('unattributed')])),
});

export type DmStarted = Static<typeof DmStartedSchema>;
export type DmStopped = Static<typeof DmStoppedSchema>;
export type PortAccessData = Static<typeof PortAccessSchema>;
export type HandshakeOutcomeData = Static<typeof HandshakeOutcomeSchema>;
export type HandshakeOutcomeV1Data = Static<typeof HandshakeOutcomeV1Schema>;
export type GuestLogData = Static<typeof GuestLogSchema>;
export type GuestLogAttribution = NonNullable<GuestLogData['attribution']>;

/** A guest.log line's attribution, with the default for an absent field. */
export function guestLogAttribution(data: Pick<GuestLogData, 'attribution'>): GuestLogAttribution {
  return data.attribution ?? 'guest';
}

// The payload must stay exactly the protocol's outcome plus the event's own fields (the
// blacklist revision is the agent's, not the protocol's: a transcript run has no revision).
type OutcomeOnly = Omit<
  HandshakeOutcomeData,
  'handshakeId' | 'startTime' | 'endTime' | 'accessCount' | 'blacklistRevision'
>;
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const outcomeMatchesProtocol: Same<OutcomeOnly, HandshakeOutcome> = true;
void outcomeMatchesProtocol;
