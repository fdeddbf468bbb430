import { MAX_DOMID, UUID_PATTERN } from './envelope';
import { STREAM_ID_PATTERN } from './event-id';
import { isEventTime } from './event-time';
import { portAccessRule } from './payload-rules';
import type { PortAccessData } from './guest-payloads';

const STREAM_ID = new RegExp(STREAM_ID_PATTERN);
const UUID = new RegExp(UUID_PATTERN);
const MAX_U32 = 0xffffffff;

/**
 * True only for a port.access v1 event the generic path (schema, envelope rules, payload rule)
 * accepts as it is; false for anything else, which the generic path then judges and explains.
 * port.access is over half of the volume: one pass over its fields, each checked once (the
 * generic path tests the time's pattern twice and builds the expected id), no error machinery.
 * It must never accept what the generic path refuses: codec-fast-path.unit.spec.ts compares both
 * on valid and invalid variants. Mirrors envelope.ts + guest-payloads.ts; change them together.
 */
export function isValidPortAccessV1(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const e = value as Record<string, unknown>;
  if (e.type !== 'port.access' || e.v !== 1) return false;
  const { id, time, host, dm, seq, vm, domid, boot, data } = e;
  if (typeof id !== 'string' || id.length > 146) return false;
  if (typeof time !== 'string' || !isEventTime(time)) return false;
  if (typeof host !== 'string' || host.length < 1 || host.length > 255) return false;
  if (typeof dm !== 'string' || !STREAM_ID.test(dm)) return false;
  if (!isUint(seq, Number.MAX_SAFE_INTEGER)) return false;
  if (typeof vm !== 'string' || !UUID.test(vm)) return false;
  if (!isUint(domid, MAX_DOMID) || !isUint(boot, Number.MAX_SAFE_INTEGER)) return false;
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return false;
  const d = data as Record<string, unknown>;
  if (d.op !== 'in' && d.op !== 'out') return false;
  if (!isUint(d.port, 0x1f) || (d.port as number) < 0x10) return false;
  if (d.size !== 1 && d.size !== 2 && d.size !== 4) return false;
  if (d.value !== null && !isUint(d.value, MAX_U32)) return false;
  if (d.response !== null && !isUint(d.response, MAX_U32)) return false;
  // No other properties (additionalProperties: false), counted as the schema check counts them.
  if (Object.getOwnPropertyNames(d).length !== 5) return false;
  if (Object.getOwnPropertyNames(e).length !== 11) return false;
  // The envelope rule ({dm}:{seq}) without building the expected id.
  if (id.length <= dm.length || !id.startsWith(dm) || id.charCodeAt(dm.length) !== 0x3a)
    return false;
  if (id.slice(dm.length + 1) !== String(seq)) return false;
  return portAccessRule(d as unknown as PortAccessData) === null;
}

function isUint(value: unknown, max: number): boolean {
  return Number.isInteger(value) && (value as number) >= 0 && (value as number) <= max;
}
