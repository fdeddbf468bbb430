import { BlacklistEntryChangeSchema } from './blacklist-payloads';
import { CURRENT_VERSIONS as CURRENT } from './envelope';
import { createEventRegistry, type EventKindSpec } from './event-registry';
import {
  DmStartedSchema,
  DmStoppedSchema,
  GuestLogSchema,
  HandshakeOutcomeSchema,
  HandshakeOutcomeV1Schema,
  PortAccessSchema,
  type HandshakeOutcomeData,
  type HandshakeOutcomeV1Data,
} from './guest-payloads';
import {
  blacklistEntryRule,
  guestLogRule,
  handshakeOutcomeRule,
  portAccessRule,
} from './payload-rules';

/** v1 outcomes did not record the blacklist revision the agent answered from: unknown. */
function handshakeOutcomeV1ToV2(data: HandshakeOutcomeV1Data): HandshakeOutcomeData {
  return { ...data, blacklistRevision: null };
}

/** Every event type and every version ever written, each older one with its upcast. */
export const EVENT_KINDS: readonly EventKindSpec[] = [
  {
    type: 'dm.started',
    envelope: 'guest',
    current: CURRENT['dm.started'],
    versions: { 1: { data: DmStartedSchema } },
  },
  {
    type: 'dm.stopped',
    envelope: 'guest',
    current: CURRENT['dm.stopped'],
    versions: { 1: { data: DmStoppedSchema } },
  },
  {
    type: 'port.access',
    envelope: 'guest',
    current: CURRENT['port.access'],
    versions: { 1: { data: PortAccessSchema, refine: portAccessRule } },
  },
  {
    type: 'handshake.outcome',
    envelope: 'guest',
    current: CURRENT['handshake.outcome'],
    versions: {
      1: {
        data: HandshakeOutcomeV1Schema,
        refine: handshakeOutcomeRule,
        upcast: handshakeOutcomeV1ToV2,
      },
      2: { data: HandshakeOutcomeSchema, refine: handshakeOutcomeRule },
    },
  },
  {
    type: 'guest.log',
    envelope: 'guest',
    current: CURRENT['guest.log'],
    versions: { 1: { data: GuestLogSchema, refine: guestLogRule } },
  },
  {
    type: 'blacklist.entry.added',
    envelope: 'blacklist',
    current: CURRENT['blacklist.entry.added'],
    versions: { 1: { data: BlacklistEntryChangeSchema, refine: blacklistEntryRule } },
  },
  {
    type: 'blacklist.entry.removed',
    envelope: 'blacklist',
    current: CURRENT['blacklist.entry.removed'],
    versions: { 1: { data: BlacklistEntryChangeSchema, refine: blacklistEntryRule } },
  },
];

/** Compiled once, on first use, so importing the package stays cheap. */
let compiled: ReturnType<typeof createEventRegistry> | null = null;
export function eventRegistry(): ReturnType<typeof createEventRegistry> {
  compiled ??= createEventRegistry(EVENT_KINDS);
  return compiled;
}
