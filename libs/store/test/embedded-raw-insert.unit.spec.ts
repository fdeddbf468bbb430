import type { ClickHouseClient } from '@clickhouse/client';
import { describe, expect, it } from 'vitest';
import { ClientStore, StoreError } from '@magicport/store';

type RawParams = Record<string, unknown>;

/** chDB's raw insert failing with `messages` in turn, then succeeding; the client must not be used. */
function embeddedStore(messages: string[]) {
  const calls: RawParams[] = [];
  const unused = () => {
    throw new Error('the client path was used');
  };
  const store = new ClientStore({
    client: { insert: unused, query: unused, command: unused } as unknown as ClickHouseClient,
    mode: 'embedded',
    database: 'magicport',
    target: 'T',
    retry: { attempts: 3, baseDelayMs: 0, maxDelayMs: 0 },
    rawInsert: async (params) => {
      calls.push(params);
      const message = messages.shift();
      if (message !== undefined) throw new Error(message);
    },
  });
  return { calls, store };
}

const BODY = Buffer.from('{"a":1}\n{"a":"ü"}');
const TOO_MANY_PARTS =
  'Code: 252. DB::Exception: Too many parts (300). Merges are processing significantly slower than inserts. (TOO_MANY_PARTS)';
const BAD_ROW =
  "Code: 27. DB::Exception: Cannot parse input: expected '\"' before: 'x}': (at row 2). (CANNOT_PARSE_INPUT_ASSERTION_FAILED)";

describe('ClientStore embedded raw insert (chDB rawInsert)', () => {
  it('hands the bytes over as they are, qualified, with the token and the pinned settings', async () => {
    const { calls, store } = embeddedStore([]);
    await store.insertJsonEachRow('guest_logs', BODY, {
      dedupToken: 'events/3 10',
      columns: ['a'],
    });
    expect(calls).toEqual([
      {
        table: 'magicport.guest_logs',
        values: BODY,
        format: 'JSONEachRow',
        columns: ['a'],
        settings: {
          date_time_input_format: 'best_effort',
          session_timezone: 'UTC',
          input_format_skip_unknown_fields: 1,
          async_insert: 0,
          insert_deduplicate: 1,
          // sanitised exactly as the client path's statement has it
          insert_deduplication_token: 'events/3%2010',
          deduplicate_blocks_in_dependent_materialized_views: 1,
        },
      },
    ]);
    expect(calls[0]!.values).toBe(BODY);
  });

  it('repeats a tokened insert after a transient engine error, with the same bytes and settings', async () => {
    const { calls, store } = embeddedStore([TOO_MANY_PARTS, TOO_MANY_PARTS]);
    await store.insertJsonEachRow('t', BODY, { dedupToken: 'p-0-5' });
    expect(calls).toHaveLength(3);
    expect(calls.every((c) => c.values === BODY)).toBe(true);
    expect(new Set(calls.map((c) => JSON.stringify(c.settings))).size).toBe(1);
  });

  it('does not repeat one without a token (the control: it may have been stored)', async () => {
    const { calls, store } = embeddedStore([TOO_MANY_PARTS]);
    const failure = store.insertJsonEachRow('t', BODY);
    await expect(failure).rejects.toMatchObject({ kind: 'transient', attempts: 1 });
    expect(calls).toHaveLength(1);
    expect(calls[0]!.settings).not.toHaveProperty('insert_deduplication_token');
  });

  it('reports a row the engine rejects as a permanent StoreError with its ClickHouse code', async () => {
    const { calls, store } = embeddedStore([BAD_ROW]);
    const failure = store.insertJsonEachRow('t', BODY, { dedupToken: 'p-0-5' });
    await expect(failure).rejects.toBeInstanceOf(StoreError);
    await expect(failure).rejects.toMatchObject({
      kind: 'permanent',
      attempts: 1,
      cause: { code: '27', type: 'CANNOT_PARSE_INPUT_ASSERTION_FAILED' },
    });
    expect(calls).toHaveLength(1);
  });

  it('keeps a qualified table, skips an empty body and still checks the name', async () => {
    const { calls, store } = embeddedStore([]);
    await store.insertJsonEachRow('other.t', 'x');
    await store.insertJsonEachRow('t', Buffer.alloc(0));
    await expect(store.insertJsonEachRow('t; DROP', BODY)).rejects.toThrow('invalid table name');
    expect(calls.map((c) => c.table)).toEqual(['other.t']);
  });
});
