import { classifyFailure, type FailureKind } from './store-errors';

export interface RetryPolicy {
  /** Total tries, the first one included. */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 4, baseDelayMs: 100, maxDelayMs: 2_000 };

export interface RetryOptions {
  policy: RetryPolicy;
  /** Failure kinds worth another try for this call (see FailureKind). */
  retryOn: ReadonlySet<FailureKind>;
  sleep?: (ms: number) => Promise<void>;
  /** In [0, 1); spreads replicas' retries apart. */
  random?: () => number;
}

/** Thrown with the last failure once retries are exhausted or not allowed. */
export class RetryExhausted extends Error {
  constructor(
    readonly attempts: number,
    override readonly cause: unknown,
  ) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
    this.name = 'RetryExhausted';
  }
}

export async function withRetry<T>(
  operation: (attempt: number) => Promise<T>,
  options: RetryOptions,
): Promise<T> {
  const sleep = options.sleep ?? defaultSleep;
  const random = options.random ?? Math.random;
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation(attempt);
    } catch (err) {
      const last = attempt >= options.policy.attempts;
      if (last || !options.retryOn.has(classifyFailure(err)))
        throw new RetryExhausted(attempt, err);
      await sleep(backoffDelay(attempt, options.policy, random()));
    }
  }
}

/** Exponential backoff capped at maxDelayMs, scaled into [50%, 100%) by the random draw. */
export function backoffDelay(attempt: number, policy: RetryPolicy, draw: number): number {
  const full = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(full * (0.5 + draw / 2));
}

function defaultSleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
