import type { ClickHouseStore } from '@magicport/store';
import type { RangeLog } from './ingest-ports';
import type { OffsetRange } from './partition-ranges';

const TABLE = 'ingest_ranges';

/**
 * The range log in ClickHouse (migration 0003): one row per (group, topic, partition), the
 * newest range winning (ReplacingMergeTree on last_offset; read with FINAL). chDB has no
 * KeeperMap, which Kafka Connect's sink uses for the same state.
 */
export class ClickHouseRangeLog implements RangeLog {
  constructor(private readonly store: ClickHouseStore) {}

  async load(groupId: string, topic: string, partition: number): Promise<OffsetRange | null> {
    const rows = await this.store.query<{ first_offset: string; last_offset: string }>(
      `SELECT first_offset, last_offset FROM ${TABLE} FINAL
       WHERE group_id = {group:String} AND topic = {topic:String} AND kafka_partition = {partition:UInt32}
       ORDER BY recorded_at DESC LIMIT 1`,
      { group: groupId, topic, partition },
      { tag: 'ingest-range-load' },
    );
    const row = rows[0];
    return row ? { first: BigInt(row.first_offset), last: BigInt(row.last_offset) } : null;
  }

  async record(
    groupId: string,
    topic: string,
    partition: number,
    range: OffsetRange,
  ): Promise<void> {
    await this.store.insert(
      TABLE,
      [
        {
          group_id: groupId,
          topic,
          kafka_partition: partition,
          first_offset: range.first.toString(),
          last_offset: range.last.toString(),
        },
      ],
      { tag: 'ingest-range-record' },
    );
  }
}
