import { describe, expect, it } from 'vitest';
import { backoffDelay, RetryExhausted, withRetry, type FailureKind } from '@magicport/store';

const policy = { attempts: 4, baseDelayMs: 100, maxDelayMs: 250 };
const transient = (): Error => Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
const refused = (): Error =>
  Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
const ANY: ReadonlySet<FailureKind> = new Set(['unsent', 'transient']);

function recorder(): { sleeps: number[]; sleep: (ms: number) => Promise<void> } {
  const sleeps: number[] = [];
  return { sleeps, sleep: async (ms) => void sleeps.push(ms) };
}

describe('withRetry', () => {
  it('retries transient failures with capped exponential backoff until success', async () => {
    const { sleeps, sleep } = recorder();
    let calls = 0;
    const result = await withRetry(
      async () => {
        calls++;
        if (calls < 4) throw transient();
        return 'ok';
      },
      { policy, retryOn: ANY, sleep, random: () => 0.999999 },
    );
    expect(result).toBe('ok');
    expect(calls).toBe(4);
    expect(sleeps).toEqual([100, 200, 250]);
  });

  it('gives up after the last attempt and keeps the original cause', async () => {
    const { sleeps, sleep } = recorder();
    const cause = transient();
    const err = await withRetry(() => Promise.reject(cause), { policy, retryOn: ANY, sleep }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RetryExhausted);
    expect((err as RetryExhausted).attempts).toBe(4);
    expect((err as RetryExhausted).cause).toBe(cause);
    expect(sleeps).toHaveLength(3);
  });

  it('does not repeat a permanent failure', async () => {
    let calls = 0;
    const err = await withRetry(
      async () => {
        calls++;
        throw new Error('Syntax error');
      },
      { policy, retryOn: ANY, sleep: recorder().sleep },
    ).catch((e: unknown) => e as RetryExhausted);
    expect([calls, err.attempts]).toEqual([1, 1]);
  });

  it('repeats only what the call allows: a maybe-applied failure is final for unsent-only calls', async () => {
    const unsentOnly: ReadonlySet<FailureKind> = new Set(['unsent']);
    let calls = 0;
    const failures = [refused(), transient()];
    const err = await withRetry(
      async () => {
        throw failures[calls++];
      },
      { policy, retryOn: unsentOnly, sleep: recorder().sleep },
    ).catch((e: unknown) => e as RetryExhausted);
    expect(calls).toBe(2);
    expect(err.cause).toBe(failures[1]);
  });
});

describe('backoffDelay', () => {
  it('spreads each delay over [50%, 100%) of the exponential step', () => {
    expect(backoffDelay(1, policy, 0)).toBe(50);
    expect(backoffDelay(2, policy, 0.5)).toBe(150);
    expect(backoffDelay(9, policy, 0)).toBe(125);
  });
});
