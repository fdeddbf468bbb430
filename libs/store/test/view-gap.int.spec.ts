/**
 * A kill -9 inside an insert can land after the raw table's part is written and before a
 * materialized view's: the view lacks those rows. The ingest then inserts the recorded range
 * again with the same dedup token. The raw table drops the block as a duplicate, and with
 * `deduplicate_blocks_in_dependent_materialized_views = 1` (set by every token insert) the
 * views still see it, each deduplicating on its own: the gap is filled, nothing is counted
 * twice. The kill is simulated by detaching the view for the first insert. A complete insert
 * retried counts once in the view as well; its control, the same retry without the setting,
 * counts twice there (the raw table drops the block either way).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  JsonRowsBlock,
  RAW_COLUMNS,
  insertRawJsonBlock,
  migrate,
  rawRowJson,
  type ClickHouseStore,
} from '@magicport/store';
import { openTestClickHouse, type TestClickHouse } from '../../../test/support/clickhouse';
import { SOURCE, guestStamper, outcomeData } from './store-samples';

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

beforeEach(async () => {
  for (const table of ['handshakes', 'driver_builds_daily']) {
    await store.command(`TRUNCATE TABLE ${table}`);
  }
});

/** Eight handshakes of distinct guests, as JSONEachRow rows of the handshakes table. */
function handshakeRows(): string[] {
  return Array.from({ length: 8 }, (_, i) =>
    rawRowJson(
      guestStamper({ vm: `00000000-0000-4000-8000-00000000000${i}`, dm: `dm-${i}` }).stamp(
        'handshake.outcome',
        outcomeData(),
      ),
      SOURCE,
    ),
  );
}

/** The first insert reaches the raw table only, as if the process died before the view. */
async function insertWithoutView(rows: string[], token: string): Promise<void> {
  await store.command('DETACH TABLE driver_builds_daily_mv');
  try {
    const block = new JsonRowsBlock();
    for (const row of rows) block.append(row);
    await insertRawJsonBlock(store, 'handshakes', block, token);
  } finally {
    await store.command('ATTACH TABLE driver_builds_daily_mv');
  }
}

async function counts(): Promise<{ raw: number; inView: number }> {
  const [row] = await store.query<{ raw: string; inView: string }>(
    `SELECT (SELECT count() FROM handshakes) AS raw,
            (SELECT sum(handshakes) FROM driver_builds_daily) AS inView`,
  );
  return { raw: Number(row?.raw), inView: Number(row?.inView) };
}

describe('a retried range fills the view its crashed insert never reached', () => {
  it('same token: the raw block is dropped as a duplicate, the view gets it once', async () => {
    const rows = handshakeRows();
    await insertWithoutView(rows, 'events-3-0-99-handshakes');
    expect(await counts()).toEqual({ raw: 8, inView: 0 });

    const block = new JsonRowsBlock();
    for (const row of rows) block.append(row);
    await insertRawJsonBlock(store, 'handshakes', block, 'events-3-0-99-handshakes');
    expect(await counts()).toEqual({ raw: 8, inView: 8 });
    // A third attempt changes nothing anywhere.
    await insertRawJsonBlock(store, 'handshakes', block, 'events-3-0-99-handshakes');
    expect(await counts()).toEqual({ raw: 8, inView: 8 });
  });

  it('a complete insert retried with its token counts once in the view too', async () => {
    const rows = handshakeRows();
    const block = new JsonRowsBlock();
    for (const row of rows) block.append(row);
    await insertRawJsonBlock(store, 'handshakes', block, 'events-3-0-99-handshakes');
    await insertRawJsonBlock(store, 'handshakes', block, 'events-3-0-99-handshakes');
    expect(await counts()).toEqual({ raw: 8, inView: 8 });
  });

  it('control: the same retry without deduplicate_blocks_in_dependent_materialized_views counts twice in the view', async () => {
    const rows = handshakeRows();
    const insert = () =>
      store.command(
        `INSERT INTO handshakes (${RAW_COLUMNS.handshakes.join(', ')})
         SETTINGS insert_deduplication_token = 'events-3-0-99-handshakes',
           deduplicate_blocks_in_dependent_materialized_views = 0,
           date_time_input_format = 'best_effort', input_format_skip_unknown_fields = 1
         FORMAT JSONEachRow
         ${rows.join('\n')}`,
      );
    await insert();
    await insert();
    // The raw table drops the block, the view does not.
    expect(await counts()).toEqual({ raw: 8, inView: 16 });
  });
});
