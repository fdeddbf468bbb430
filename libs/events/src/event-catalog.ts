import { BlacklistEntryChangeSchema } from './blacklist-payloads';
import { createEventRegistry, type EventKindSpec } from './event-registry';
import {
  DmStartedSchema,
  DmStoppedSchema,
  GuestLogSchema,
  HandshakeOutcomeSchema,
  PortAccessSchema,
} from './guest-payloads';
import {
  blacklistEntryRule,
  guestLogRule,
  handshakeOutcomeRule,
  portAccessRule,
} from './payload-rules';

/** Every event type and every version ever written. v1 is the first, so nothing upcasts yet. */
export const EVENT_KINDS: readonly EventKindSpec[] = [
  { type: 'dm.started', envelope: 'guest', current: 1, versions: { 1: { data: DmStartedSchema } } },
  { type: 'dm.stopped', envelope: 'guest', current: 1, versions: { 1: { data: DmStoppedSchema } } },
  {
    type: 'port.access',
    envelope: 'guest',
    current: 1,
    versions: { 1: { data: PortAccessSchema, refine: portAccessRule } },
  },
  {
    type: 'handshake.outcome',
    envelope: 'guest',
    current: 1,
    versions: { 1: { data: HandshakeOutcomeSchema, refine: handshakeOutcomeRule } },
  },
  {
    type: 'guest.log',
    envelope: 'guest',
    current: 1,
    versions: { 1: { data: GuestLogSchema, refine: guestLogRule } },
  },
  {
    type: 'blacklist.entry.added',
    envelope: 'blacklist',
    current: 1,
    versions: { 1: { data: BlacklistEntryChangeSchema, refine: blacklistEntryRule } },
  },
  {
    type: 'blacklist.entry.removed',
    envelope: 'blacklist',
    current: 1,
    versions: { 1: { data: BlacklistEntryChangeSchema, refine: blacklistEntryRule } },
  },
];

/** Compiled once, on first use, so importing the package stays cheap. */
let compiled: ReturnType<typeof createEventRegistry> | null = null;
export function eventRegistry(): ReturnType<typeof createEventRegistry> {
  compiled ??= createEventRegistry(EVENT_KINDS);
  return compiled;
}
