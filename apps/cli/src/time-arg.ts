import { InputError } from './input-file';
import { escapeForTerminal } from './output';

/** For help texts: how every time flag reads its value. */
export const TIME_ARG_HELP =
  'ISO-8601, e.g. 2026-11-01T00:00:00Z; a time without Z or an offset is read as UTC';

const SHAPE =
  /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?)?(Z|[+-]\d{2}:?\d{2})?$/i;
const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

/**
 * Microseconds since the epoch for a user's time. Zone-less times are UTC, never the machine's
 * zone (the same seed must give the same fleet everywhere); dates that do not exist
 * (2026-02-30) are refused instead of rolled forward as `Date.parse` does.
 */
export function parseTimeArg(flag: string, value: string): number {
  const shown = escapeForTerminal(value);
  const m = SHAPE.exec(value);
  if (!m)
    throw new InputError(
      `${flag} must be an ISO-8601 time like 2026-11-01T00:00:00Z (got ${shown})`,
    );
  const [year, month, day, hour = 0, minute = 0, second = 0] = m
    .slice(1, 7)
    .map((part) => (part === undefined ? undefined : Number(part))) as number[];
  const fraction = m[7] ?? '';
  const zone = m[8] ?? 'Z';
  const daysInMonth = new Date(Date.UTC(year!, month!, 0)).getUTCDate();
  if (month! < 1 || month! > 12)
    throw new InputError(`${flag}: ${shown} is not a date (there is no month ${month})`);
  if (day! < 1 || day! > daysInMonth)
    throw new InputError(
      `${flag}: ${shown} is not a date (${MONTHS[month! - 1]} ${year} has ${daysInMonth} days)`,
    );
  if (hour > 23 || minute > 59 || second > 59)
    throw new InputError(`${flag}: ${shown} is not a time of day (00:00:00 to 23:59:59)`);
  let offsetMinutes = 0;
  if (zone.toUpperCase() !== 'Z') {
    const digits = zone.replace(':', '');
    const hours = Number(digits.slice(1, 3));
    const minutes = Number(digits.slice(3, 5));
    if (hours > 23 || minutes > 59)
      throw new InputError(`${flag}: ${shown} has an impossible UTC offset ${zone}`);
    offsetMinutes = (zone.startsWith('-') ? -1 : 1) * (hours * 60 + minutes);
  }
  const ms = Date.UTC(year!, month! - 1, day, hour, minute, second) - offsetMinutes * 60_000;
  return ms * 1000 + Number(fraction.padEnd(6, '0'));
}

/** `2026-11-01T00:00:00Z` for a time in microseconds (whole seconds shown without fraction). */
export function formatMicros(us: number): string {
  const iso = new Date(Math.floor(us / 1000)).toISOString();
  return us % 1_000_000 === 0 ? iso.replace('.000Z', 'Z') : iso;
}
