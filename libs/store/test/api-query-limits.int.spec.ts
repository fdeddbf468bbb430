/**
 * API queries carry their time and memory limits in their SQL: a query past either fails with
 * the engine's TIMEOUT_EXCEEDED / MEMORY_LIMIT_EXCEEDED after one attempt, and the next query
 * on the same store is served.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { limitedQuery, StoreError, type ApiQueryLimits } from '@magicport/store';
import { openTestClickHouse, type TestClickHouse } from '../../../test/support/clickhouse';

let ch: TestClickHouse;
beforeAll(async () => {
  ch = await openTestClickHouse();
});
afterAll(async () => ch?.close());

const LIMITS: ApiQueryLimits = {
  maxExecutionTimeSeconds: 1,
  maxMemoryUsageBytes: 64 * 1024 * 1024,
};

describe('limitedQuery', () => {
  it('a query past its time limit fails with TIMEOUT_EXCEEDED; the next one is served', async () => {
    const heavy = limitedQuery(
      ch.store,
      'heavy',
      'SELECT sum(cityHash64(number)) AS s FROM numbers(100000000000)',
      {},
      LIMITS,
    );
    const error = await heavy.then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).message).toMatch(/TIMEOUT_EXCEEDED|Timeout exceeded/i);
    expect((error as StoreError).attempts).toBe(1);
    expect(await limitedQuery(ch.store, 'light', 'SELECT 1 AS one', {}, LIMITS)).toEqual([
      { one: 1 },
    ]);
  });

  it('a query past its memory limit fails with MEMORY_LIMIT_EXCEEDED; the same query without the limit runs (control)', async () => {
    const sql = 'SELECT length(groupArray(number)) AS n FROM numbers(20000000)';
    const error = await limitedQuery(ch.store, 'big', sql, {}, LIMITS).then(
      () => null,
      (e: unknown) => e,
    );
    expect((error as StoreError).message).toMatch(/MEMORY_LIMIT_EXCEEDED|memory limit/i);
    const roomy = { ...LIMITS, maxMemoryUsageBytes: 4 * 1024 ** 3, maxExecutionTimeSeconds: 60 };
    expect(await limitedQuery(ch.store, 'big', sql, {}, roomy)).toEqual([{ n: '20000000' }]);
  });

  it('refuses limits that would splice anything but a number into the SQL', () => {
    expect(() =>
      limitedQuery(
        ch.store,
        'x',
        'SELECT 1',
        {},
        { maxExecutionTimeSeconds: Number.NaN, maxMemoryUsageBytes: 1 },
      ),
    ).toThrow(RangeError);
    expect(() =>
      limitedQuery(
        ch.store,
        'x',
        'SELECT 1',
        {},
        { maxExecutionTimeSeconds: 1, maxMemoryUsageBytes: 1.5 },
      ),
    ).toThrow(RangeError);
  });
});
