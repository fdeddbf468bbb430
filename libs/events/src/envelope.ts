import { Type, type TProperties, type TSchema } from '@sinclair/typebox';
import type { BlacklistEntryChange } from './blacklist-payloads';
import { STREAM_ID_PATTERN } from './event-id';
import type { EventTime } from './event-time';
import { EventTimeSchema } from './guest-payloads';
import type {
  DmStarted,
  DmStopped,
  GuestLogData,
  HandshakeOutcomeData,
  PortAccessData,
} from './guest-payloads';

/**
 * The flat, CloudEvents-shaped envelope. Two explicit shapes: guest events carry the guest
 * (`vm`, `domid`, `boot`); blacklist changes belong to no guest and have none of those fields.
 */
export interface GuestPayloads {
  'dm.started': DmStarted;
  'dm.stopped': DmStopped;
  'port.access': PortAccessData;
  'handshake.outcome': HandshakeOutcomeData;
  'guest.log': GuestLogData;
}

export interface BlacklistPayloads {
  'blacklist.entry.added': BlacklistEntryChange;
  'blacklist.entry.removed': BlacklistEntryChange;
}

export type GuestEventType = keyof GuestPayloads;
export type BlacklistEventType = keyof BlacklistPayloads;
export type EventType = GuestEventType | BlacklistEventType;

export const GUEST_EVENT_TYPES: readonly GuestEventType[] = [
  'dm.started',
  'dm.stopped',
  'port.access',
  'handshake.outcome',
  'guest.log',
];
export const BLACKLIST_EVENT_TYPES: readonly BlacklistEventType[] = [
  'blacklist.entry.added',
  'blacklist.entry.removed',
];

/**
 * The version of each type's `data` that producers write today; readers upcast every older one
 * to it (see event-catalog.ts). v2 of handshake.outcome added `blacklistRevision`.
 */
export const CURRENT_VERSIONS = {
  'dm.started': 1,
  'dm.stopped': 1,
  'port.access': 1,
  'handshake.outcome': 2,
  'guest.log': 1,
  'blacklist.entry.added': 1,
  'blacklist.entry.removed': 1,
} as const satisfies Record<EventType, number>;
export type CurrentVersions = typeof CURRENT_VERSIONS;

interface EnvelopeFields<T extends EventType> {
  /** `{dm}:{seq}`, the idempotency key. */
  id: string;
  type: T;
  /** Schema version of `data`; decoded events are always upcast to the current one. */
  v: CurrentVersions[T];
  time: EventTime;
  /** The machine the producer runs on. */
  host: string;
  /** Producing stream: the device-model instance id, or the blacklist writer's id. */
  dm: string;
  /** Gapless and monotonic per `dm`, 0-based. */
  seq: number;
}

export interface GuestEnvelope<
  T extends GuestEventType = GuestEventType,
> extends EnvelopeFields<T> {
  /** Guest UUID, lowercase canonical form (the Kafka key: one guest's events stay in order). */
  vm: string;
  domid: number;
  /** Boot counter of this guest on this device-model instance. */
  boot: number;
  data: GuestPayloads[T];
}

export interface BlacklistEnvelope<
  T extends BlacklistEventType = BlacklistEventType,
> extends EnvelopeFields<T> {
  data: BlacklistPayloads[T];
}

/** Discriminated on `type`, so `event.data` narrows with it. */
export type GuestEvent = { [T in GuestEventType]: GuestEnvelope<T> }[GuestEventType];
export type BlacklistEvent = {
  [T in BlacklistEventType]: BlacklistEnvelope<T>;
}[BlacklistEventType];
export type MagicportEvent = GuestEvent | BlacklistEvent;
export type EventOf<T extends EventType> = T extends GuestEventType
  ? GuestEnvelope<T>
  : T extends BlacklistEventType
    ? BlacklistEnvelope<T>
    : never;

export type EnvelopeKind = 'guest' | 'blacklist';

export const UUID_PATTERN = '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$';
/** Guest domain ids; 0x7ff0 and up are reserved by Xen (DOMID_FIRST_RESERVED). */
export const MAX_DOMID = 0x7fef;

function envelopeFields(type: string, v: number) {
  return {
    id: Type.String({ maxLength: 146 }),
    type: Type.Literal(type),
    v: Type.Literal(v),
    time: EventTimeSchema,
    host: Type.String({ minLength: 1, maxLength: 255 }),
    dm: Type.String({
      pattern: STREAM_ID_PATTERN,
      description: 'a stream id: 1-128 of [A-Za-z0-9._-], starting with a letter or digit',
    }),
    seq: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }),
  };
}

const guestFields = () => ({
  vm: Type.String({ pattern: UUID_PATTERN, description: 'a lowercase canonical UUID' }),
  domid: Type.Integer({ minimum: 0, maximum: MAX_DOMID }),
  boot: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }),
});

/** The whole event at one (type, version): envelope fields first, so their errors come first. */
export function envelopeSchema(kind: EnvelopeKind, type: string, v: number, data: TSchema) {
  const properties: TProperties =
    kind === 'guest'
      ? { ...envelopeFields(type, v), ...guestFields(), data }
      : { ...envelopeFields(type, v), data };
  return Type.Object(properties, { additionalProperties: false });
}
