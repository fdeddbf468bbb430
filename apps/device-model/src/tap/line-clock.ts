import { EVENT_TIME_END_MICROS } from '@magicport/events';

/**
 * Event time for each line. A line with a prefix time (`<pid>@<sec>.<usec>:` or ISO-8601) gets
 * that time. A line without one gets a deterministic synthetic time: the last prefix time seen,
 * or the origin when none was seen yet, plus 1 µs per line since. Re-tapping the same file
 * therefore yields the same events, and the order of lines is kept in event time.
 */
export class LineClock {
  private lastKnownUs: number | null = null;
  private lastKnownLine = 0;
  private last: number;
  /** Lines that had no prefix time and were given a synthetic one. */
  synthetic = 0;

  /** `originUs`: microseconds since the epoch for line 0 of a log without prefix times. */
  constructor(private readonly originUs: number) {
    this.last = originUs;
  }

  /**
   * Time of line `lineNo` (1-based, counted over the whole tap), given its prefix time if any.
   * `prefixed`: the line had a time prefix, unreadable (an impossible date) when `prefixUs` is
   * null; such a line gets a synthetic time but is not counted as one without a prefix.
   */
  at(prefixUs: number | null, lineNo: number, prefixed = prefixUs !== null): number {
    if (prefixUs !== null) {
      this.lastKnownUs = prefixUs;
      this.lastKnownLine = lineNo;
      this.last = prefixUs;
    } else {
      if (!prefixed) this.synthetic++;
      const synthetic = (this.lastKnownUs ?? this.originUs) + (lineNo - this.lastKnownLine);
      // A prefix time at the very end of the representable range must not push later lines out.
      this.last = Math.min(synthetic, EVENT_TIME_END_MICROS - 1);
    }
    return this.last;
  }

  /** The time handed out last (the origin before any line). */
  get lastUs(): number {
    return this.last;
  }
}
