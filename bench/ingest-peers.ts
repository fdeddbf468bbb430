/**
 * The ingest benchmark's two yardsticks inside the same chDB: ClickHouse's own Kafka table
 * engine (materialized views writing the same raw tables by type) and the raw insert of the
 * same rows.
 */
import { decodeEvent, EVENTS_TOPIC } from '@magicport/events';
import {
  insertRawJson,
  rawRowJson,
  rawTableOf,
  type ClickHouseStore,
  type RawTable,
} from '@magicport/store';

const GUEST = 'dm, seq, vm, domid, boot, host, parseDateTime64BestEffort(time, 6) AS time';
const SOURCE = '_topic, _partition, _offset';
const j = (path: string, type: string) => `JSONExtract(data, ${path}, '${type}')`;

/** One view per raw table, each column converted in SQL as rawRow does in TypeScript. */
const VIEWS: Record<Exclude<RawTable, 'blacklist_changes'>, string> = {
  port_accesses: `SELECT ${GUEST}, ${j("'op'", 'String')} AS op, ${j("'port'", 'UInt8')} AS port,
      ${j("'size'", 'UInt8')} AS size, ${j("'value'", 'Nullable(UInt32)')} AS value,
      ${j("'response'", 'Nullable(UInt32)')} AS response, ${SOURCE}
    FROM QUEUE WHERE type = 'port.access'`,
  guest_logs: `SELECT ${GUEST}, ${j("'text'", 'String')} AS text,
      base64Decode(${j("'bytesBase64'", 'String')}) AS bytes, ${j("'truncated'", 'Bool')} AS truncated,
      ${j("'trigger'", 'Nullable(UInt8)')} AS trigger, ${j("'droppedBefore'", 'UInt64')} AS dropped_before,
      ${j("'throttledMs'", 'Float64')} AS throttled_ms, ${j("'accessCount'", 'UInt16')} AS access_count,
      parseDateTime64BestEffort(${j("'firstTime'", 'String')}, 6) AS first_time,
      parseDateTime64BestEffort(${j("'lastTime'", 'String')}, 6) AS last_time,
      ${j("'handshakeId'", 'Nullable(String)')} AS handshake_id, ${SOURCE}
    FROM QUEUE WHERE type = 'guest.log'`,
  handshakes: `SELECT ${GUEST}, ${j("'handshakeId'", 'String')} AS handshake_id,
      ${j("'result'", 'String')} AS result, ${j("'protocolVersion'", 'Nullable(UInt8)')} AS protocol_version,
      ${j("'product', 'number'", 'Nullable(UInt16)')} AS product_number,
      ${j("'product', 'name'", 'Nullable(String)')} AS product_name, ${j("'build'", 'Nullable(UInt32)')} AS build,
      ${j("'blacklisted'", 'Bool')} AS blacklisted, ${j("'blacklistKey'", 'Nullable(String)')} AS blacklist_key,
      ${j("'blacklistRevision'", 'Nullable(UInt64)')} AS blacklist_revision, ${j("'mask'", 'UInt16')} AS mask,
      ${j("'maskWrites'", 'Array(UInt16)')} AS mask_writes,
      ${j("'unplug', 'ideScsiDisks'", 'Bool')} AS unplug_ide_scsi_disks, ${j("'unplug', 'nics'", 'Bool')} AS unplug_nics,
      ${j("'unplug', 'auxIdeDisks'", 'Bool')} AS unplug_aux_ide_disks,
      ${j("'unplug', 'nvmeDisks'", 'Bool')} AS unplug_nvme_disks, ${j("'unplugApplied'", 'Bool')} AS unplug_applied,
      ${j("'violations'", 'Array(String)')} AS violations,
      parseDateTime64BestEffort(${j("'startTime'", 'String')}, 6) AS start_time,
      parseDateTime64BestEffort(${j("'endTime'", 'String')}, 6) AS end_time,
      ${j("'accessCount'", 'UInt64')} AS access_count, ${SOURCE}
    FROM QUEUE WHERE type = 'handshake.outcome'`,
  dm_instances: `SELECT type AS event, ${GUEST}, ${j("'profile'", 'String')} AS profile,
      ${j("'enforceBlacklist'", 'Bool')} AS enforce_blacklist, ${j("'agentVersion'", 'String')} AS agent_version,
      ${j("'source'", 'String')} AS source, ${j("'options', 'logByteAccesses'", 'Bool')} AS log_byte_accesses,
      ${j("'options', 'idleGapMs'", 'UInt32')} AS idle_gap_ms, ${j("'reason'", 'String')} AS stop_reason,
      ${j("'detail'", 'Nullable(String)')} AS stop_detail, ${SOURCE}
    FROM QUEUE WHERE type IN ('dm.started', 'dm.stopped')`,
};

/**
 * Creates the Kafka engine table (settings from chdb-notes: big blocks, 1 s flush) and its
 * views in `store`'s database; the group must already sit at the offsets to start from.
 */
export async function startKafkaEngine(
  store: ClickHouseStore,
  brokers: string[],
  groupId: string,
): Promise<void> {
  const queue = `${store.database}.events_queue`;
  await store.command(`CREATE TABLE ${queue} (
      type String, time String, host String, dm String, seq UInt64, vm UUID, domid UInt16,
      boot UInt64, data String)
    ENGINE = Kafka SETTINGS kafka_broker_list = '${brokers.join(',')}',
      kafka_topic_list = '${EVENTS_TOPIC}', kafka_group_name = '${groupId}',
      kafka_format = 'JSONEachRow', input_format_skip_unknown_fields = 1,
      input_format_json_read_objects_as_strings = 1, kafka_max_block_size = 262144,
      kafka_poll_max_batch_size = 262144, kafka_flush_interval_ms = 1000`);
  for (const [table, select] of Object.entries(VIEWS)) {
    await store.command(
      `CREATE MATERIALIZED VIEW ${store.database}.${table}_kafka_mv TO ${store.database}.${table} AS ${select.replace('QUEUE', queue)}`,
    );
  }
}

export async function stopKafkaEngine(store: ClickHouseStore): Promise<void> {
  for (const table of Object.keys(VIEWS)) {
    await store.command(`DROP VIEW IF EXISTS ${store.database}.${table}_kafka_mv`);
  }
  await store.command(`DROP TABLE IF EXISTS ${store.database}.events_queue`);
}

export async function guestRowCount(store: ClickHouseStore): Promise<number> {
  const [row] = await store.query<{ n: string }>(
    `SELECT (SELECT count() FROM ${store.database}.dm_instances) + (SELECT count() FROM ${store.database}.port_accesses)
       + (SELECT count() FROM ${store.database}.handshakes) + (SELECT count() FROM ${store.database}.guest_logs) AS n`,
  );
  return Number(row?.n ?? 0);
}

/** Rows per raw table as the ingest writes them, for the raw insert baseline. */
export class RowsByTable {
  readonly rows = new Map<RawTable, string[]>();
  count = 0;
  add(value: Buffer, partition: number, offset: string): void {
    const decoded = decodeEvent(value);
    if (!decoded.ok) return;
    const table = rawTableOf(decoded.event.type);
    let list = this.rows.get(table);
    if (!list) this.rows.set(table, (list = []));
    list.push(rawRowJson(decoded.event, { topic: EVENTS_TOPIC, partition, offset }));
    this.count++;
  }
}

/** Inserts the rows in 50,000-row blocks, as pre-encoded JSONEachRow; rows per second. */
export async function rawInsertRate(store: ClickHouseStore, rows: RowsByTable): Promise<number> {
  const start = process.hrtime.bigint();
  let n = 0;
  for (const [table, list] of rows.rows) {
    for (let i = 0; i < list.length; i += 50_000) {
      await insertRawJson(store, table, list.slice(i, i + 50_000), `baseline-${table}-${n++}`);
    }
  }
  return rows.count / (Number(process.hrtime.bigint() - start) / 1e9);
}
