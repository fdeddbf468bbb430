import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  RAW_COLUMNS,
  RAW_TABLES,
  JsonRowsBlock,
  insertRawJson,
  insertRawJsonBlock,
  insertRawRows,
  migrate,
  rawRow,
  rawRowJson,
  rawTableOf,
  type ClickHouseStore,
  type RawTable,
} from '@magicport/store';
import { openTestClickHouse, type TestClickHouse } from '../../../test/support/clickhouse';
import { SOURCE, guestStamper, outcomeData, sampleEvents } from './store-samples';

let ch: TestClickHouse;
let store: ClickHouseStore;

beforeAll(async () => {
  ch = await openTestClickHouse();
  store = ch.store;
  await migrate(store);
});

afterAll(async () => {
  await ch?.close();
});

/** UInt64 columns: JSONEachRow output quotes them (PINNED_SETTINGS), inserts take numbers. */
const UINT64 = new Set(['seq', 'boot', 'access_count', 'dropped_before', 'revision', '_offset']);

/** What reading a table back gives for a rawRow: UInt64 as strings, bytes as hex. */
function stored(table: RawTable, row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(row)) {
    if (key === 'bytes_base64') {
      out.bytes_hex = Buffer.from(value as string, 'base64')
        .toString('hex')
        .toUpperCase();
    } else if (table === 'guest_logs' && key === 'access_count') {
      out[key] = value; // UInt16 there
    } else {
      out[key] = UINT64.has(key) && typeof value === 'number' ? String(value) : value;
    }
  }
  out.id = `${String(row.dm)}:${String(row.seq)}`;
  return out;
}

async function readBack(table: RawTable): Promise<Record<string, unknown>[]> {
  const columns = RAW_COLUMNS[table].map((c) =>
    c === 'bytes_base64' ? 'hex(bytes) AS bytes_hex' : c,
  );
  return store.query(`SELECT ${columns.join(', ')}, id FROM ${table} ORDER BY dm, seq`);
}

async function truncateAll(): Promise<void> {
  const tables = [
    ...RAW_TABLES,
    'driver_builds_daily',
    'latest_handshakes',
    'blacklist_hits_daily',
  ];
  for (const table of tables) await store.command(`TRUNCATE TABLE ${table}`);
}

describe('raw rows in ClickHouse', () => {
  it('stores every event type exactly, through both insert paths', async () => {
    for (const [path, insert] of [
      [
        'objects',
        (t: RawTable, events: ReturnType<typeof sampleEvents>, token: string) =>
          insertRawRows(
            store,
            t,
            events.map((e) => rawRow(e, SOURCE)),
            token,
          ),
      ],
      [
        'json',
        (t: RawTable, events: ReturnType<typeof sampleEvents>, token: string) =>
          insertRawJson(
            store,
            t,
            events.map((e) => rawRowJson(e, SOURCE)),
            token,
          ),
      ],
      [
        // The ingest's path: UTF-8 bytes of one block, handed to chDB without a copy.
        'block',
        (t: RawTable, events: ReturnType<typeof sampleEvents>, token: string) => {
          const block = new JsonRowsBlock(16);
          for (const e of events) block.append(rawRowJson(e, SOURCE));
          return insertRawJsonBlock(store, t, block, token);
        },
      ],
    ] as const) {
      await truncateAll();
      const events = sampleEvents();
      for (const table of RAW_TABLES) {
        const mine = events.filter((e) => rawTableOf(e.type) === table);
        await insert(table, mine, `${path}-${table}`);
      }
      for (const table of RAW_TABLES) {
        const expected = events
          .filter((e) => rawTableOf(e.type) === table)
          .map((e) => stored(table, rawRow(e, SOURCE) as Record<string, unknown>));
        expect({ path, table, rows: await readBack(table) }).toEqual({
          path,
          table,
          rows: expected,
        });
      }
    }
  });

  it('keeps log bytes that are not UTF-8 byte for byte', async () => {
    await truncateAll();
    const bytes = Buffer.from([0x00, 0xff, 0xfe, 0x80, 0x0d, 0x41, 0xc3]);
    const event = guestStamper().stamp('guest.log', {
      ...logOf(bytes),
    });
    await insertRawJson(store, 'guest_logs', [rawRowJson(event, SOURCE)], 'bytes');
    expect(
      await store.query('SELECT hex(bytes) AS hex, length(bytes) AS n FROM guest_logs'),
    ).toEqual([{ hex: '00FFFE800D41C3', n: '7' }]);
  });

  it('stores a retried block once (same token); a token does not leak into the next insert', async () => {
    await truncateAll();
    const block = new JsonRowsBlock();
    for (const e of sampleEvents().filter((e) => e.type === 'port.access')) {
      block.append(rawRowJson(e, SOURCE));
    }
    expect(block.count).toBeGreaterThan(0);
    await insertRawJsonBlock(store, 'port_accesses', block, 'events-1-0-9-port_accesses');
    await insertRawJsonBlock(store, 'port_accesses', block, 'events-1-0-9-port_accesses');
    const n = async () =>
      (await store.query<{ n: string }>('SELECT count() AS n FROM port_accesses'))[0]?.n;
    expect(await n()).toBe(String(block.count));
    // Control: without a token the same block is stored again (a token applied with SET would
    // have stayed on the session and dropped it).
    await store.insertJsonEachRow('port_accesses', block.bytes(), {
      columns: RAW_COLUMNS.port_accesses,
    });
    expect(await n()).toBe(String(2 * block.count));
  });

  it('stores a retried batch once, in the raw table and in every view (same token)', async () => {
    await truncateAll();
    const stamper = guestStamper();
    const outcomes = [
      stamper.stamp('handshake.outcome', outcomeData({ result: 'blacklisted', blacklisted: true })),
      stamper.stamp(
        'handshake.outcome',
        outcomeData({ result: 'blacklist-ignored', blacklisted: true }),
      ),
    ];
    const rows = outcomes.map((e) => rawRowJson(e, SOURCE));
    await insertRawJson(store, 'handshakes', rows, 'events-3-10-11-handshakes');
    await insertRawJson(store, 'handshakes', rows, 'events-3-10-11-handshakes');
    expect(await counts()).toEqual({ raw: '2', builds: '2', hits: '2' });
    // The control: a different token (a batch rebuilt with other bounds) is stored again and
    // counted again by the views; only FINAL on the raw table collapses it.
    await insertRawJson(store, 'handshakes', rows, 'events-3-10-10-handshakes');
    expect(await counts()).toEqual({ raw: '4', builds: '4', hits: '4' });
    expect(await store.query('SELECT count() AS n FROM handshakes FINAL')).toEqual([{ n: '2' }]);
  });
});

function logOf(bytes: Buffer) {
  return {
    text: 'x',
    bytesBase64: bytes.toString('base64'),
    truncated: false,
    trigger: 10,
    droppedBefore: 0,
    throttledMs: 0,
    accessCount: bytes.length + 1,
    firstTime: '2026-03-01T12:00:00.000000Z',
    lastTime: '2026-03-01T12:00:00.000001Z',
    handshakeId: null,
  };
}

async function counts(): Promise<{ raw: string; builds: string; hits: string }> {
  const [row] = await store.query<{ raw: string; builds: string; hits: string }>(
    `SELECT
       (SELECT count() FROM handshakes) AS raw,
       (SELECT sum(handshakes) FROM driver_builds_daily) AS builds,
       (SELECT sum(hits) FROM blacklist_hits_daily) AS hits`,
  );
  return row!;
}
