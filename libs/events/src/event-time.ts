/**
 * Event time: an RFC 3339 UTC timestamp with exactly six fractional digits,
 * e.g. `2026-03-01T12:00:00.000001Z` (CloudEvents `time`, readable in any Kafka tool, and
 * lossless to the microsecond). Years are limited to 1970-2249 so every time converts exactly
 * to an integer count of microseconds since the Unix epoch (a JS safe integer).
 */
export type EventTime = string;

/** Microseconds since the Unix epoch, UTC. The clocks injected into stampers return this. */
export type Clock = () => number;

export const EVENT_TIME_PATTERN =
  '^(19[7-9]\\d|2[01]\\d\\d|22[0-4]\\d)-(0[1-9]|1[0-2])-(0[1-9]|[12]\\d|3[01])T([01]\\d|2[0-3]):[0-5]\\d:[0-5]\\d\\.\\d{6}Z$';

const EVENT_TIME = new RegExp(EVENT_TIME_PATTERN);
/** 2250-01-01T00:00:00Z in microseconds: the first time outside the representable range. */
export const EVENT_TIME_END_MICROS = Date.UTC(2250, 0, 1) * 1000;

export function toEventTime(micros: number): EventTime {
  // A guest.log's lastTime and its event time are the same instant, converted one after the
  // other: the second call gets the first's string.
  if (micros === lastMicros) return lastText;
  if (!Number.isSafeInteger(micros) || micros < 0 || micros >= EVENT_TIME_END_MICROS) {
    throw new RangeError(
      `event time must be whole microseconds in 1970-2249 (0 <= micros < ${EVENT_TIME_END_MICROS}), got ${micros}`,
    );
  }
  // Events come in bursts within one second: format the date part once per second (hot path).
  const second = Math.floor(micros / 1_000_000);
  if (second !== lastSecond) {
    lastSecond = second;
    lastSecondText = `${new Date(second * 1000).toISOString().slice(0, 19)}.`; // YYYY-MM-DDTHH:MM:SS.
  }
  // 1_000_000 + the fraction has 7 digits: dropping the first zero-pads to 6 without padStart.
  lastText = `${lastSecondText}${String(1_000_000 + micros - second * 1_000_000).slice(1)}Z`;
  lastMicros = micros;
  return lastText;
}

let lastSecond = -1;
let lastSecondText = '';
/** NaN equals nothing, so the first call never takes the memo. */
let lastMicros = Number.NaN;
let lastText = '';

/** Microseconds since the epoch, or null when `time` is not a valid event time. */
export function eventTimeToMicros(time: string): number | null {
  if (!isEventTime(time)) return null;
  return Date.parse(`${time.slice(0, 23)}Z`) * 1000 + Number(time.slice(23, 26));
}

/** True for a well-formed time on a real calendar day (the schema pattern alone allows 02-30). */
export function isEventTime(time: string): boolean {
  return EVENT_TIME.test(time) && isCalendarDay(time);
}

/** Days 29-31 are the only ones a month can lack; checked without building a Date (hot path). */
function isCalendarDay(time: string): boolean {
  const day = Number(time.slice(8, 10));
  if (day <= 28) return true;
  const year = Number(time.slice(0, 4));
  const month = Number(time.slice(5, 7));
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const days = month === 2 ? (leap ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31;
  return day <= days;
}

/**
 * The wall clock at microsecond resolution: anchored to Date.now() once, advanced by the
 * monotonic high-resolution timer, so successive readings never go backwards.
 */
export function systemClock(): Clock {
  const anchorMicros = BigInt(Date.now()) * 1000n;
  const anchorHr = process.hrtime.bigint();
  return () => Number(anchorMicros + (process.hrtime.bigint() - anchorHr) / 1000n);
}
