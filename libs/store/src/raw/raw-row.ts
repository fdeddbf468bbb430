import {
  guestLogAttribution,
  type BlacklistEvent,
  type EventOf,
  type GuestEventType,
  type GuestEvent,
  type MagicportEvent,
} from '@magicport/events';
import type { RecordSource } from './raw-tables';
import { toClickHouseTime } from './raw-time';

/**
 * One JSONEachRow row of the event's raw table (see RAW_COLUMNS for the keys, in this order).
 * The event must be validated (libs/events decode): fields are converted, not checked.
 * Times become DateTime64 text, the Kafka offset stays a decimal string (UInt64), and every
 * other integer fits 2^53 by the event schemas, so it is a JSON number.
 */
export function rawRow(event: MagicportEvent, source: RecordSource): object {
  switch (event.type) {
    case 'port.access':
      return portAccessRow(event, source);
    case 'guest.log':
      return guestLogRow(event, source);
    case 'handshake.outcome':
      return handshakeRow(event, source);
    case 'dm.started':
    case 'dm.stopped':
      return dmInstanceRow(event, source);
    case 'blacklist.entry.added':
    case 'blacklist.entry.removed':
      return blacklistChangeRow(event, source);
  }
  throw new TypeError(`no raw row for event type ${String((event as { type: unknown }).type)}`);
}

function portAccessRow(e: EventOf<'port.access'>, s: RecordSource): object {
  const d = e.data;
  return {
    dm: e.dm,
    seq: e.seq,
    vm: e.vm,
    domid: e.domid,
    boot: e.boot,
    host: e.host,
    time: toClickHouseTime(e.time),
    op: d.op,
    port: d.port,
    size: d.size,
    value: d.value,
    response: d.response,
    _topic: s.topic,
    _partition: s.partition,
    _offset: s.offset,
  };
}

function guestLogRow(e: EventOf<'guest.log'>, s: RecordSource): object {
  const d = e.data;
  return {
    dm: e.dm,
    seq: e.seq,
    vm: e.vm,
    domid: e.domid,
    boot: e.boot,
    host: e.host,
    time: toClickHouseTime(e.time),
    text: d.text,
    // JSON cannot carry raw bytes: the table decodes this EPHEMERAL column into `bytes`.
    bytes_base64: d.bytesBase64,
    truncated: d.truncated,
    trigger: d.trigger,
    dropped_before: d.droppedBefore,
    throttled_ms: d.throttledMs,
    access_count: d.accessCount,
    first_time: toClickHouseTime(d.firstTime),
    last_time: toClickHouseTime(d.lastTime),
    handshake_id: d.handshakeId,
    attribution: guestLogAttribution(d),
    _topic: s.topic,
    _partition: s.partition,
    _offset: s.offset,
  };
}

/** v2 of handshake.outcome adds the blacklist revision; v1 events (upcast) have none. */
export function blacklistRevisionOf(data: EventOf<'handshake.outcome'>['data']): number | null {
  const revision = (data as unknown as { blacklistRevision?: number | null }).blacklistRevision;
  return revision ?? null;
}

function handshakeRow(e: EventOf<'handshake.outcome'>, s: RecordSource): object {
  const d = e.data;
  return {
    dm: e.dm,
    seq: e.seq,
    vm: e.vm,
    domid: e.domid,
    boot: e.boot,
    host: e.host,
    time: toClickHouseTime(e.time),
    handshake_id: d.handshakeId,
    result: d.result,
    protocol_version: d.protocolVersion,
    product_number: d.product === null ? null : d.product.number,
    product_name: d.product === null ? null : d.product.name,
    build: d.build,
    blacklisted: d.blacklisted,
    blacklist_key: d.blacklistKey,
    blacklist_revision: blacklistRevisionOf(d),
    mask: d.mask,
    mask_writes: d.maskWrites,
    unplug_ide_scsi_disks: d.unplug.ideScsiDisks,
    unplug_nics: d.unplug.nics,
    unplug_aux_ide_disks: d.unplug.auxIdeDisks,
    unplug_nvme_disks: d.unplug.nvmeDisks,
    unplug_applied: d.unplugApplied,
    violations: d.violations,
    start_time: toClickHouseTime(d.startTime),
    end_time: toClickHouseTime(d.endTime),
    access_count: d.accessCount,
    _topic: s.topic,
    _partition: s.partition,
    _offset: s.offset,
  };
}

function dmInstanceRow(e: GuestEvent & { type: GuestEventType }, s: RecordSource): object {
  const started = e.type === 'dm.started' ? e.data : null;
  const stopped = e.type === 'dm.stopped' ? e.data : null;
  return {
    event: e.type,
    dm: e.dm,
    seq: e.seq,
    vm: e.vm,
    domid: e.domid,
    boot: e.boot,
    host: e.host,
    time: toClickHouseTime(e.time),
    profile: started?.profile ?? '',
    enforce_blacklist: started?.enforceBlacklist ?? false,
    agent_version: started?.agentVersion ?? '',
    source: started?.source ?? '',
    log_byte_accesses: started?.options.logByteAccesses ?? false,
    idle_gap_ms: started?.options.idleGapMs ?? 0,
    stop_reason: stopped?.reason ?? '',
    stop_detail: stopped?.detail ?? null,
    _topic: s.topic,
    _partition: s.partition,
    _offset: s.offset,
  };
}

function blacklistChangeRow(e: BlacklistEvent, s: RecordSource): object {
  const d = e.data;
  return {
    change: e.type === 'blacklist.entry.added' ? 'added' : 'removed',
    dm: e.dm,
    seq: e.seq,
    host: e.host,
    time: toClickHouseTime(e.time),
    revision: d.revision,
    product: d.product,
    build: d.build,
    key: d.key,
    actor: d.actor,
    reason: d.reason,
    _topic: s.topic,
    _partition: s.partition,
    _offset: s.offset,
  };
}
