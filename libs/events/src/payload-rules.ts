import { blacklistKey, productNumber } from '@magicport/protocol';
import type { BlacklistEntryChange } from './blacklist-payloads';
import { isEventTime } from './event-time';
import { decodeLogBytes } from './guest-log-bytes';
import {
  MAX_LOG_LINE_BYTES,
  type GuestLogData,
  type HandshakeOutcomeData,
  type PortAccessData,
} from './guest-payloads';
import type { FieldError } from './schema-check';

/** Cross-field rules of the v1 payloads: what the schemas cannot say. Paths are relative to the event. */

const WIDTH_MAX = { 1: 0xff, 2: 0xffff, 4: 0xffffffff } as const;

export function portAccessRule(data: PortAccessData): FieldError | null {
  const [present, absent] =
    data.op === 'in' ? (['response', 'value'] as const) : (['value', 'response'] as const);
  if (data[absent] !== null)
    return { path: `/data/${absent}`, reason: `must be null for op "${data.op}"` };
  const given = data[present];
  if (given === null)
    return { path: `/data/${present}`, reason: `is required for op "${data.op}"` };
  if (given > WIDTH_MAX[data.size]) {
    return { path: `/data/${present}`, reason: `${given} does not fit a ${data.size}-byte access` };
  }
  return null;
}

/** Both versions: v1 and v2 differ only in `blacklistRevision`. */
export function handshakeOutcomeRule(
  data: Pick<HandshakeOutcomeData, 'startTime' | 'endTime'>,
): FieldError | null {
  return timeOrder(data.startTime, data.endTime, 'startTime', 'endTime');
}

export function guestLogRule(data: GuestLogData): FieldError | null {
  const bytes = decodeLogBytes(data.bytesBase64);
  if (bytes === null) return { path: '/data/bytesBase64', reason: 'is not canonical base64' };
  if (bytes.length > MAX_LOG_LINE_BYTES) {
    return {
      path: '/data/bytesBase64',
      reason: `holds ${bytes.length} bytes, a line holds at most ${MAX_LOG_LINE_BYTES}`,
    };
  }
  if (data.truncated && (bytes.length !== MAX_LOG_LINE_BYTES || data.trigger === null)) {
    return {
      path: '/data/truncated',
      reason: `a truncated line has ${MAX_LOG_LINE_BYTES} bytes and a trigger byte`,
    };
  }
  if (!data.truncated && data.trigger !== null && data.trigger !== 10) {
    return {
      path: '/data/trigger',
      reason: `must be 10 ('\\n') or null unless truncated, got ${data.trigger}`,
    };
  }
  const accesses = bytes.length + (data.trigger === null ? 0 : 1);
  if (data.accessCount !== accesses) {
    return {
      path: '/data/accessCount',
      reason: `must be ${accesses} (line bytes + trigger), got ${data.accessCount}`,
    };
  }
  return timeOrder(data.firstTime, data.lastTime, 'firstTime', 'lastTime');
}

export function blacklistEntryRule(data: BlacklistEntryChange): FieldError | null {
  const product = productNumber(data.product);
  if (product === null)
    return { path: '/data/product', reason: `is not a registered product name: "${data.product}"` };
  // The spec profile's key: every registered product, the build in unsigned decimal.
  const key = blacklistKey(product, data.build, 'spec')!;
  return data.key === key
    ? null
    : { path: '/data/key', reason: `must be "${key}", got "${data.key}"` };
}

function timeOrder(
  first: string,
  last: string,
  firstName: string,
  lastName: string,
): FieldError | null {
  if (!isEventTime(first))
    return { path: `/data/${firstName}`, reason: `is not a calendar date: "${first}"` };
  if (!isEventTime(last))
    return { path: `/data/${lastName}`, reason: `is not a calendar date: "${last}"` };
  // Valid event times have one fixed-width form (digits in the same places, always Z), so
  // their text sorts as the instants do: no Date.parse on the ingest's hot path.
  return first <= last
    ? null
    : { path: `/data/${lastName}`, reason: `must not be before ${firstName}` };
}
