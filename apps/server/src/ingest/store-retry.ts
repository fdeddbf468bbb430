export interface RetryPolicy {
  initialDelayMs: number;
  maxDelayMs: number;
}

export interface RetryUntilDoneOptions {
  policy: RetryPolicy;
  /** Checked before every attempt and while waiting: true gives up. */
  abandoned(): boolean;
  /** An error no retry can cure: give up at once (after reporting it). */
  hopeless?(error: unknown): boolean;
  onRetry(error: unknown, attempt: number, delayMs: number): void;
  onGiveUp?(error: unknown): void;
}

export type Done<T> = { done: true; value: T } | { done: false };

/**
 * Retries `work` with exponential backoff until it succeeds or the caller abandons it. The
 * ingest never gives a batch up for an error: ClickHouse or Kafka being down only delays the
 * partition (nothing is committed meanwhile, the consumer keeps heartbeating).
 */
export async function retryUntilDone<T>(
  work: () => Promise<T>,
  options: RetryUntilDoneOptions,
): Promise<Done<T>> {
  let delay = options.policy.initialDelayMs;
  for (let attempt = 1; ; attempt++) {
    if (options.abandoned()) return { done: false };
    try {
      return { done: true, value: await work() };
    } catch (error) {
      if (options.hopeless?.(error)) {
        options.onGiveUp?.(error);
        return { done: false };
      }
      options.onRetry(error, attempt, delay);
      const until = Date.now() + delay;
      while (Date.now() < until) {
        if (options.abandoned()) return { done: false };
        await new Promise((resolve) => setTimeout(resolve, Math.min(100, until - Date.now())));
      }
      delay = Math.min(delay * 2, options.policy.maxDelayMs);
    }
  }
}
