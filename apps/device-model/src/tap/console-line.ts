import { EVENT_TIME_END_MICROS } from '@magicport/events';
import { wallTimeToUtcMs } from './wall-clock';

/**
 * One line of a Xen console log as xenconsoled writes it with timestamps on (Qubes keeps the
 * device-model stubdomain's console as `guest-NAME-dm.log`): `[YYYY-MM-DD HH:MM:SS] ` in the
 * daemon's local time, with no zone, then what the stubdomain printed. A line the console
 * wrapped or that arrived without a newline carries no prefix.
 */
export type ConsoleLine =
  { kind: 'line'; body: string; timeUs: number | null } | { kind: 'unparseable'; reason: string };

export const CONSOLE_PREFIX =
  /^\[(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(?:\.(\d{3}))?\](?: |$)/;

/** `zone`: the IANA zone the daemon's clock was in; null reads the times as UTC. */
export function parseConsoleLine(raw: string, zone: string | null): ConsoleLine {
  const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
  const prefix = CONSOLE_PREFIX.exec(line);
  if (!prefix) return { kind: 'line', body: line, timeUs: null };
  const [year, month, day, hour, minute, second] = prefix.slice(1, 7).map(Number);
  const ms = wallTimeToUtcMs(
    {
      year: year!,
      month: month!,
      day: day!,
      hour: hour!,
      minute: minute!,
      second: second!,
      millisecond: Number(prefix[7] ?? 0),
    },
    zone,
  );
  if (ms === null || ms < 0 || ms * 1000 >= EVENT_TIME_END_MICROS)
    return { kind: 'unparseable', reason: 'timestamp outside 1970-2249 or not a real date' };
  return { kind: 'line', body: line.slice(prefix[0].length), timeUs: ms * 1000 };
}
