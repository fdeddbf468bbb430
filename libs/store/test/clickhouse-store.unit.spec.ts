import type { ClickHouseClient } from '@clickhouse/client';
import { describe, expect, it } from 'vitest';
import { ClientStore, StoreError, stringifyRows } from '@magicport/store';

type Call = { method: string; params: Record<string, unknown> };

/** A client whose every call fails with `failure` until `failuresLeft` runs out. */
function flakyClient(failure: () => Error, failuresLeft: number) {
  const calls: Call[] = [];
  const respond = async (method: string, params: Record<string, unknown>) => {
    calls.push({ method, params });
    if (failuresLeft-- > 0) throw failure();
    return { json: async () => [{ ok: 1 }] };
  };
  const client = {
    query: (p: Record<string, unknown>) => respond('query', p),
    command: (p: Record<string, unknown>) => respond('command', p),
    insert: (p: Record<string, unknown>) => respond('insert', p),
    close: async () => undefined,
  };
  return { calls, client: client as unknown as ClickHouseClient };
}

const reset = () => Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
const refused = () => Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });

function storeOver(client: ClickHouseClient): ClientStore {
  return new ClientStore({
    client,
    mode: 'server',
    database: 'magicport',
    target: 'T',
    retry: { attempts: 3, baseDelayMs: 0, maxDelayMs: 0 },
  });
}

describe('ClientStore retry policy per operation', () => {
  it('repeats a read after a reset', async () => {
    const { calls, client } = flakyClient(reset, 2);
    expect(await storeOver(client).query('SELECT 1')).toEqual([{ ok: 1 }]);
    expect(calls).toHaveLength(3);
  });

  it('does not repeat an insert without a token after a reset: it may have been stored', async () => {
    const { calls, client } = flakyClient(reset, 1);
    const failure = storeOver(client).insert('t', [{ a: 1 }]);
    await expect(failure).rejects.toBeInstanceOf(StoreError);
    await expect(failure).rejects.toMatchObject({ attempts: 1, kind: 'transient' });
    expect(calls).toHaveLength(1);
  });

  it('repeats an insert with a token, sending the same statement every time', async () => {
    const { calls, client } = flakyClient(reset, 2);
    await storeOver(client).insert('t', [{ a: 1 }], { dedupToken: 'p-0-5' });
    expect(calls.map((c) => c.params.table)).toEqual(
      Array(3).fill(
        "t SETTINGS insert_deduplication_token = 'p-0-5', " +
          'deduplicate_blocks_in_dependent_materialized_views = 1',
      ),
    );
    expect(calls.every((c) => c.params.clickhouse_settings === undefined)).toBe(true);
  });

  it('repeats a pre-encoded insert with a token: same statement, same body, every time', async () => {
    const { calls, client } = flakyClient(reset, 2);
    const body = '{"a":1}\n{"a":2}';
    await storeOver(client).insertJsonEachRow('guest_logs', body, {
      dedupToken: 'p-0-5',
      columns: ['a'],
    });
    expect(calls.map((c) => c.params.table)).toEqual(
      Array(3).fill(
        "guest_logs (a) SETTINGS insert_deduplication_token = 'p-0-5', " +
          'deduplicate_blocks_in_dependent_materialized_views = 1',
      ),
    );
    // What the client's json.stringify hook (stringifyRows) sends for the values.
    const sent = calls.map((c) => (c.params.values as unknown[]).map(stringifyRows).join(''));
    expect(sent).toEqual([body, body, body]);
    expect(stringifyRows({ a: 1 })).toBe('{"a":1}');
  });

  it('repeats any call the server never received', async () => {
    const { calls, client } = flakyClient(refused, 2);
    await storeOver(client).command('CREATE TABLE t (a UInt8) ENGINE = Memory');
    await storeOver(client).insert('t', [{ a: 1 }]);
    expect(calls.map((c) => c.method)).toEqual(['command', 'command', 'command', 'insert']);
  });

  it('skips empty inserts but still validates the table name', async () => {
    const { calls, client } = flakyClient(reset, 0);
    await storeOver(client).insert('t', []);
    expect(calls).toHaveLength(0);
    await expect(storeOver(client).insert('t; DROP', [])).rejects.toThrow('invalid table name');
  });

  it('refuses calls after close', async () => {
    const { client } = flakyClient(reset, 0);
    const store = storeOver(client);
    await store.close();
    await expect(store.query('SELECT 1')).rejects.toThrow(
      'ClickHouse query failed on T: the store is closed',
    );
  });
});
