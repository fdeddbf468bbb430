/**
 * ISO time with microseconds (`2026-11-01T00:41:13.434166Z`) of microseconds since the epoch. A
 * timeline's entries mostly share their second (a log line's bytes are microseconds apart), so
 * the second's text is made once per second, not per entry: the Date formatting was the largest
 * item of a replay's own CPU in a profile.
 */
let isoSecond = Number.NaN;
let isoSecondText = '';

export function isoOfUs(us: number): string {
  const second = Math.floor(us / 1_000_000);
  if (second !== isoSecond) {
    isoSecond = second;
    isoSecondText = new Date(second * 1000).toISOString().slice(0, 19);
  }
  return `${isoSecondText}.${String(us - second * 1_000_000).padStart(6, '0')}Z`;
}
