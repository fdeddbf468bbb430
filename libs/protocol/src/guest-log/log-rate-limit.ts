/** Token bucket parameters: one token per logged byte. */
export interface LogRateLimit {
  burstBytes: number;
  bytesPerSecond: number;
}

/** qemu-traditional throttle(): BUCKET_MAX_SIZE 128*1024, BUCKET_FILL_RATE 256, starts full. */
export const TRADITIONAL_LOG_RATE_LIMIT: LogRateLimit = {
  burstBytes: 128 * 1024,
  bytesPerSecond: 256,
};

/** Decides, per flushed line, whether it is emitted and how long the reference would stall. */
export interface LineLimiter {
  /** `count` = bytes stored in the line ('\n' excluded). Returns -1 to drop, else µs of stall. */
  admit(count: number, timeUs: number): number;
}

/** qemu-upstream: no limiter at all. */
export const UNLIMITED: LineLimiter = { admit: () => 0 };

/**
 * The spec profile's own limiter: a token bucket on event time that never stalls the guest.
 * A line that does not fit is dropped and counted; the next emitted line reports the count.
 * Each line costs its bytes plus one, so a flood of empty lines is limited too.
 */
export class DroppingTokenBucket implements LineLimiter {
  private tokens: number;
  private lastUs: number | null = null;

  constructor(private readonly limit: LogRateLimit) {
    this.tokens = limit.burstBytes;
  }

  admit(count: number, timeUs: number): number {
    if (this.lastUs !== null && timeUs > this.lastUs) {
      const refill = ((timeUs - this.lastUs) * this.limit.bytesPerSecond) / 1e6;
      this.tokens = Math.min(this.limit.burstBytes, this.tokens + refill);
    }
    if (this.lastUs === null || timeUs > this.lastUs) this.lastUs = timeUs;
    const cost = count + 1;
    if (this.tokens >= cost) {
      this.tokens -= cost;
      return 0;
    }
    return -1;
  }
}

/**
 * qemu-traditional throttle() as the stall it would have imposed, never slept. The reference
 * sleeps the device-model thread, so everything after a stall happens that much later: the
 * model keeps the accumulated stall and runs its clock at event time + stall.
 */
export class TraditionalThrottle implements LineLimiter {
  private started = false;
  private available = 0;
  private lastRefillUs = 0;
  private stalledUs = 0;

  constructor(private readonly limit: LogRateLimit = TRADITIONAL_LOG_RATE_LIMIT) {}

  admit(count: number, timeUs: number): number {
    const now = timeUs + this.stalledUs;
    if (!this.started) {
      this.started = true;
      this.available = this.limit.burstBytes;
      this.lastRefillUs = now;
    }
    let stallUs = 0;
    if (this.available < count) {
      const waitingFor =
        this.lastRefillUs + ((count - this.available) / this.limit.bytesPerSecond) * 1e6;
      if (waitingFor > now) stallUs = waitingFor - now;
      const after = now + stallUs;
      // `available += BUCKET_FILL_RATE * delay` stores into an unsigned: truncated.
      const refilled =
        this.available + (this.limit.bytesPerSecond * (after - this.lastRefillUs)) / 1e6;
      this.available = Math.min(this.limit.burstBytes, Math.floor(refilled + 1e-9));
      this.lastRefillUs = after;
      this.stalledUs += stallUs;
    }
    this.available = Math.max(0, this.available - count);
    return stallUs;
  }
}
