import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MagicportEvent } from '@magicport/events';
import {
  DEFAULT_API_QUERY_LIMITS as L,
  bootRecording,
  guestLogs,
  insertRawJson,
  migrate,
  rawRowJson,
  type ClickHouseStore,
} from '@magicport/store';
import { openTestClickHouse, type TestClickHouse } from '../../../test/support/clickhouse';
import { guestStamper, logData } from './store-samples';

// guest_logs is a ReplacingMergeTree: an event inserted twice stays two rows until a merge.
// Log reads must still show each line once.
const VM = '00000000-0000-4000-8000-00000000d0b1';
const DAY = { from: '2026-03-01 00:00:00.000000', to: '2026-03-02 00:00:00.000000' };
let ch: TestClickHouse;
let store: ClickHouseStore;
let lines: MagicportEvent[];

async function insert(events: MagicportEvent[], offset: number, token: string) {
  const rows = events.map((e, i) =>
    rawRowJson(e, { topic: 'magicport.events.v1', partition: 0, offset: String(offset + i) }),
  );
  await insertRawJson(store, 'guest_logs', rows, token);
}

beforeAll(async () => {
  ch = await openTestClickHouse();
  store = ch.store;
  await migrate(store);
  const guest = guestStamper({ vm: VM, dm: 'dm-dup', host: 'host-dup' });
  lines = ['dup line one', 'dup line two', 'dup line three'].map((text) =>
    guest.stamp('guest.log', logData(Buffer.from(text))),
  );
  await insert(lines, 100, 'dedupe-first');
  // The second line again, as a redelivered record (another offset, another insert): a
  // second row with the same event id, which no merge has collapsed yet.
  await insert([lines[1]!], 900, 'dedupe-redelivered');
});

afterAll(async () => {
  await ch?.close();
});

describe('log reads over an unmerged duplicate', () => {
  it('the raw table holds the line twice (what the reads must hide)', async () => {
    const [row] = await store.query<{ rows: string }>(
      'SELECT toString(count()) AS rows FROM guest_logs WHERE vm = {vm:UUID}',
      { vm: VM },
    );
    expect(row!.rows).toBe('4');
  });

  it('fleet-wide search shows each line once', async () => {
    const found = await guestLogs(store, { ...DAY, contains: 'DUP LINE', limit: 100 }, L);
    expect(found.map((l) => [l.dm, l.seq, l.text])).toEqual([
      ['dm-dup', 0, 'dup line one'],
      ['dm-dup', 1, 'dup line two'],
      ['dm-dup', 2, 'dup line three'],
    ]);
  });

  it("a guest's lines show each once, and a page shortened by a copy is filled from after it", async () => {
    expect((await guestLogs(store, { vm: VM, limit: 100 }, L)).map((l) => l.seq)).toEqual([
      0, 1, 2,
    ]);
    // Limit 3: the engine's first three rows are lines 0 and 1 and the copy of 1; line 2
    // comes from a second read after line 1.
    const page = await guestLogs(store, { vm: VM, limit: 3 }, L);
    expect(page.map((l) => l.seq)).toEqual([0, 1, 2]);
    const first = await guestLogs(store, { ...DAY, contains: 'dup', limit: 1 }, L);
    const after = { time: first[0]!.time.replace('T', ' ').replace('Z', ''), dm: 'dm-dup', seq: 0 };
    const next = await guestLogs(store, { ...DAY, contains: 'dup', limit: 2, after }, L);
    expect(next.map((l) => l.seq)).toEqual([1, 2]);
  });

  it("replay's recording reads the line once", async () => {
    const recording = await bootRecording(store, { vm: VM, boot: 1, dm: 'dm-dup' }, L);
    expect(recording.logLines.map((l) => l.seq)).toEqual([0, 1, 2]);
  });
});
