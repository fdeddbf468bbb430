/**
 * Event ids are `{dm}:{seq}`: the producing stream (a device-model instance, or the blacklist
 * writer) and its gapless sequence number. The id is the idempotency key the store dedupes on.
 *
 * `seq` is 0-based: the first event of a stream (a device model's `dm.started`) has seq 0.
 * Stream ids are 1-128 characters of `[A-Za-z0-9._-]`, starting with a letter or digit, so
 * an id always splits unambiguously at its only ':'.
 */
export const STREAM_ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$';
const STREAM_ID = new RegExp(STREAM_ID_PATTERN);
const EVENT_ID = /^([A-Za-z0-9][A-Za-z0-9._-]{0,127}):(0|[1-9]\d{0,15})$/;

export interface EventIdParts {
  dm: string;
  seq: number;
}

export function isStreamId(value: string): boolean {
  return STREAM_ID.test(value);
}

export function isSeq(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0;
}

export function eventId(dm: string, seq: number): string {
  if (!isStreamId(dm)) {
    throw new RangeError(`stream id must match ${STREAM_ID_PATTERN}, got ${JSON.stringify(dm)}`);
  }
  if (!isSeq(seq)) throw new RangeError(`seq must be a safe integer >= 0, got ${seq}`);
  return `${dm}:${seq}`;
}

/** The parts of an id, or null when it is not `{dm}:{seq}` (a value, not an exception: ids come from outside). */
export function parseEventId(id: string): EventIdParts | null {
  const match = EVENT_ID.exec(id);
  if (!match) return null;
  const seq = Number(match[2]);
  return isSeq(seq) ? { dm: match[1]!, seq } : null;
}
