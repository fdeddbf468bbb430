import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MagicportEvent } from '@magicport/events';
import {
  DEFAULT_API_QUERY_LIMITS as L,
  bootRecording,
  insertRawJson,
  migrate,
  rawRowJson,
  rawTableOf,
  type ClickHouseStore,
} from '@magicport/store';
import { openTestClickHouse, type TestClickHouse } from '../../../test/support/clickhouse';
import { guestStamper, logData } from './store-samples';

// A replay's recording orders and de-duplicates its rows itself (the engine only filters on
// the sort key): over a ReplacingMergeTree with unmerged copies, inserted in another order
// than seq, across two boots of one dm, it must still be one row per event in seq order.
const VM = '00000000-0000-4000-8000-00000000d0b2';
let ch: TestClickHouse;
let store: ClickHouseStore;

function access(value: number) {
  return { op: 'out' as const, port: 0x10, size: 2 as const, value, response: null };
}

async function insert(events: MagicportEvent[], offset: number, token: string) {
  for (const table of ['port_accesses', 'guest_logs'] as const) {
    const rows = events
      .filter((e) => rawTableOf(e.type) === table)
      .map((e, i) =>
        rawRowJson(e, { topic: 'magicport.events.v1', partition: 0, offset: String(offset + i) }),
      );
    await insertRawJson(store, table, rows, `${token}-${table}`);
  }
}

beforeAll(async () => {
  ch = await openTestClickHouse();
  store = ch.store;
  await migrate(store);
  const boot1 = guestStamper({ vm: VM, dm: 'dm-rec', boot: 1 });
  const first = [
    boot1.stamp('port.access', access(1)), // seq 0
    boot1.stamp('guest.log', logData(Buffer.from('one'))), // seq 1
    boot1.stamp('port.access', access(2)), // seq 2
  ];
  const boot2 = guestStamper({ vm: VM, dm: 'dm-rec', boot: 2, nextSeq: 3 });
  const second = [
    boot2.stamp('port.access', access(3)), // seq 3
    boot2.stamp('guest.log', logData(Buffer.from('two'))), // seq 4
    boot2.stamp('port.access', access(4)), // seq 5
  ];
  // Boot 2 first, then boot 1, then copies of seq 2, 3 and 4 as redelivered records: three
  // inserts, three parts per table, nothing merged.
  await insert(second, 10, 'rec-boot2');
  await insert(first, 20, 'rec-boot1');
  await insert([first[2]!, second[0]!, second[1]!], 90, 'rec-redelivered');
});

afterAll(async () => {
  await ch?.close();
});

describe("replay's recording over unmerged copies", () => {
  it('the raw tables hold the copies (what the recording must drop)', async () => {
    const count = async (table: string) => {
      const [row] = await store.query<{ rows: string }>(
        `SELECT toString(count()) AS rows FROM ${table} WHERE vm = {vm:UUID}`,
        { vm: VM },
      );
      return row!.rows;
    };
    expect(await count('port_accesses')).toBe('6');
    expect(await count('guest_logs')).toBe('3');
  });

  it('reads each event once, in seq order, over the boots asked for', async () => {
    const both = await bootRecording(store, { vm: VM, boot: 2, fromBoot: 1, dm: 'dm-rec' }, L);
    expect(both.accesses.map((a) => [a.boot, a.seq, a.value])).toEqual([
      [1, 0, 1],
      [1, 2, 2],
      [2, 3, 3],
      [2, 5, 4],
    ]);
    expect(both.logLines.map((l) => [l.boot, l.seq, Buffer.from(l.bytes).toString()])).toEqual([
      [1, 1, 'one'],
      [2, 4, 'two'],
    ]);
    const last = await bootRecording(store, { vm: VM, boot: 2, dm: 'dm-rec' }, L);
    expect(last.accesses.map((a) => a.seq)).toEqual([3, 5]);
    expect(last.logLines.map((l) => l.seq)).toEqual([4]);
  });
});
