import type { EventType } from '@magicport/events';

/** The raw table of each event kind (libs/store/migrations/0001_raw_tables.sql). */
export type RawTable =
  'dm_instances' | 'port_accesses' | 'handshakes' | 'guest_logs' | 'blacklist_changes';

export const RAW_TABLES: readonly RawTable[] = [
  'dm_instances',
  'port_accesses',
  'handshakes',
  'guest_logs',
  'blacklist_changes',
];

const TABLE_OF: Readonly<Record<EventType, RawTable>> = {
  'dm.started': 'dm_instances',
  'dm.stopped': 'dm_instances',
  'port.access': 'port_accesses',
  'handshake.outcome': 'handshakes',
  'guest.log': 'guest_logs',
  'blacklist.entry.added': 'blacklist_changes',
  'blacklist.entry.removed': 'blacklist_changes',
};

export function rawTableOf(type: EventType): RawTable {
  const table = TABLE_OF[type];
  // Types come from decoded events, but a new type without a table must fail loudly.
  if (table === undefined) throw new TypeError(`no raw table for event type ${String(type)}`);
  return table;
}

/** The Kafka record a row came from, stored in `_topic`, `_partition`, `_offset`. */
export interface RecordSource {
  topic: string;
  partition: number;
  /** Kafka offsets are 64-bit: a decimal string, as kafkajs gives them. */
  offset: string;
}

const GUEST_ENVELOPE = ['dm', 'seq', 'vm', 'domid', 'boot', 'host', 'time'] as const;
const SOURCE = ['_topic', '_partition', '_offset'] as const;

/**
 * The columns each table's rows carry, in the order rawRow writes them. Inserts name them
 * explicitly: a bare INSERT cannot fill guest_logs' EPHEMERAL bytes_base64.
 */
export const RAW_COLUMNS: Readonly<Record<RawTable, readonly string[]>> = {
  dm_instances: [
    'event',
    ...GUEST_ENVELOPE,
    'profile',
    'enforce_blacklist',
    'agent_version',
    'source',
    'log_byte_accesses',
    'idle_gap_ms',
    'stop_reason',
    'stop_detail',
    ...SOURCE,
  ],
  port_accesses: [...GUEST_ENVELOPE, 'op', 'port', 'size', 'value', 'response', ...SOURCE],
  handshakes: [
    ...GUEST_ENVELOPE,
    'handshake_id',
    'result',
    'protocol_version',
    'product_number',
    'product_name',
    'build',
    'blacklisted',
    'blacklist_key',
    'blacklist_revision',
    'mask',
    'mask_writes',
    'unplug_ide_scsi_disks',
    'unplug_nics',
    'unplug_aux_ide_disks',
    'unplug_nvme_disks',
    'unplug_applied',
    'violations',
    'start_time',
    'end_time',
    'access_count',
    ...SOURCE,
  ],
  guest_logs: [
    ...GUEST_ENVELOPE,
    'text',
    'bytes_base64',
    'truncated',
    'trigger',
    'dropped_before',
    'throttled_ms',
    'access_count',
    'first_time',
    'last_time',
    'handshake_id',
    'attribution',
    ...SOURCE,
  ],
  blacklist_changes: [
    'change',
    'dm',
    'seq',
    'host',
    'time',
    'revision',
    'product',
    'build',
    'key',
    'actor',
    'reason',
    ...SOURCE,
  ],
};
