/**
 * Local wall-clock times (a console daemon's `[2025-07-19 13:06:31]`, which names no zone) turned
 * into UTC, in UTC or in an IANA time zone through Intl (the zone data Node ships).
 */
export interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  millisecond: number;
}

/** A bad `--tz`: not an IANA zone name this Node knows. */
export function checkTimeZone(zone: string): string | null {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return null;
  } catch {
    return `tz must be an IANA time zone such as Europe/Warsaw or UTC (got ${JSON.stringify(zone)})`;
  }
}

/**
 * Milliseconds since the epoch of `wall` read in `zone` (null: UTC), or null when the date does
 * not exist (2025-02-30, 24:00:00). A time the zone passed twice (clocks back) is the first of
 * the two; a time it skipped (clocks forward) gets one of the offsets around the change.
 */
export function wallTimeToUtcMs(wall: WallTime, zone: string | null): number | null {
  const asUtc = Date.UTC(
    wall.year,
    wall.month - 1,
    wall.day,
    wall.hour,
    wall.minute,
    wall.second,
    wall.millisecond,
  );
  const back = new Date(asUtc);
  // Date.UTC rolls 2025-02-30 over into March; a real date round-trips.
  if (
    back.getUTCFullYear() !== wall.year ||
    back.getUTCMonth() !== wall.month - 1 ||
    back.getUTCDate() !== wall.day ||
    back.getUTCHours() !== wall.hour ||
    back.getUTCMinutes() !== wall.minute ||
    back.getUTCSeconds() !== wall.second
  )
    return null;
  if (zone === null) return asUtc;
  const format = formatter(zone);
  // The zone's offset at the instant near the wall time; two rounds settle it across a change.
  const early = asUtc - offsetMs(format, asUtc - 86_400_000 / 2);
  const first = asUtc - offsetMs(format, asUtc);
  const second = asUtc - offsetMs(format, first);
  // Passed twice: both readings are real; take the earlier one.
  if (early !== second && asUtc - offsetMs(format, early) === early) return Math.min(early, second);
  return second;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let format = formatters.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(zone, format);
  }
  return format;
}

/** The zone's offset from UTC at `utcMs` (positive east of Greenwich). */
function offsetMs(format: Intl.DateTimeFormat, utcMs: number): number {
  const parts: Record<string, number> = {};
  for (const part of format.formatToParts(utcMs))
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  const local = Date.UTC(
    parts.year!,
    parts.month! - 1,
    parts.day!,
    parts.hour!,
    parts.minute!,
    parts.second!,
  );
  const wholeSecond = utcMs - (((utcMs % 1000) + 1000) % 1000);
  return local - wholeSecond;
}
