import type { ClickHouseStore } from '../clickhouse-store';
import {
  isoTime,
  limitedQuery,
  n64,
  n64OrNull,
  timeUs,
  Where,
  type ApiQueryLimits,
} from './api-query';

/** One handshake as recorded (handshake.outcome, v1 upcast: revision null). */
export interface RecordedHandshakeRow {
  vm: string;
  dm: string;
  seq: number;
  boot: number;
  host: string;
  handshakeId: string;
  result: string;
  protocolVersion: number | null;
  product: { number: number; name: string | null } | null;
  build: number | null;
  blacklisted: boolean;
  blacklistKey: string | null;
  blacklistRevision: number | null;
  mask: number;
  maskWrites: number[];
  unplug: { ideScsiDisks: boolean; nics: boolean; auxIdeDisks: boolean; nvmeDisks: boolean };
  unplugApplied: boolean;
  violations: string[];
  startTime: string;
  endTime: string;
  accessCount: number;
}

export interface GuestHandshakesQuery {
  vm: string;
  boot?: number;
  /** Only boots up to this one (a replay needs nothing of later boots). */
  maxBoot?: number;
  handshakeId?: string;
  after?: { time: string; dm: string; seq: number };
  limit: number;
}

/** A guest's handshakes in end-time order (the by_guest projection serves `vm = …`). */
export async function guestHandshakes(
  store: ClickHouseStore,
  q: GuestHandshakesQuery,
  limits: ApiQueryLimits,
): Promise<RecordedHandshakeRow[]> {
  const where = new Where()
    .add('vm = {vm:UUID}', { vm: q.vm })
    .maybe(q.boot, 'boot = {boot:UInt64}', { boot: q.boot })
    .maybe(q.maxBoot, 'boot <= {maxBoot:UInt64}', { maxBoot: q.maxBoot })
    .maybe(q.handshakeId, 'handshake_id = {handshakeId:String}', { handshakeId: q.handshakeId })
    .maybe(
      q.after,
      "(end_time, dm, seq) > ({afterTime:DateTime64(6, 'UTC')}, {afterDm:String}, {afterSeq:UInt64})",
      { afterTime: q.after?.time, afterDm: q.after?.dm, afterSeq: q.after?.seq },
    );
  const rows = await limitedQuery<Record<string, unknown>>(
    store,
    'guest-handshakes',
    `SELECT vm, dm, seq, boot, host, handshake_id, toString(result) AS result, protocol_version,
       product_number, product_name, build, blacklisted, blacklist_key, blacklist_revision, mask,
       mask_writes, unplug_ide_scsi_disks, unplug_nics, unplug_aux_ide_disks, unplug_nvme_disks,
       unplug_applied, violations, start_time, end_time, access_count
     FROM handshakes WHERE ${where} ORDER BY end_time, dm, seq LIMIT {limit:UInt32}`,
    { ...where.params, limit: q.limit },
    limits,
  );
  return rows.map((r) => ({
    vm: r.vm as string,
    dm: r.dm as string,
    seq: n64(r.seq),
    boot: n64(r.boot),
    host: r.host as string,
    handshakeId: r.handshake_id as string,
    result: r.result as string,
    protocolVersion: (r.protocol_version as number | null) ?? null,
    product:
      r.product_number === null
        ? null
        : { number: r.product_number as number, name: (r.product_name as string | null) ?? null },
    build: (r.build as number | null) ?? null,
    blacklisted: r.blacklisted as boolean,
    blacklistKey: (r.blacklist_key as string | null) ?? null,
    blacklistRevision: n64OrNull(r.blacklist_revision),
    mask: r.mask as number,
    maskWrites: r.mask_writes as number[],
    unplug: {
      ideScsiDisks: r.unplug_ide_scsi_disks as boolean,
      nics: r.unplug_nics as boolean,
      auxIdeDisks: r.unplug_aux_ide_disks as boolean,
      nvmeDisks: r.unplug_nvme_disks as boolean,
    },
    unplugApplied: r.unplug_applied as boolean,
    violations: r.violations as string[],
    startTime: isoTime(r.start_time as string),
    endTime: isoTime(r.end_time as string),
    accessCount: n64(r.access_count),
  }));
}

/** The device-model instance a boot ran on, as its dm.started recorded it. */
export interface BootInstance {
  dm: string;
  /** The boot the instance started at (later boots on it have no dm.started of their own). */
  boot: number;
  host: string;
  profile: string;
  enforceBlacklist: boolean;
  idleGapMs: number;
  logByteAccesses: boolean;
  source: string;
}

export interface ReplayAccessRow {
  boot: number;
  seq: number;
  t: number;
  op: 'in' | 'out';
  port: number;
  size: number;
  value: number | null;
  response: number | null;
}

export interface ReplayLogRow {
  boot: number;
  seq: number;
  bytes: Uint8Array;
  trigger: number | null;
  firstUs: number;
  lastUs: number;
  accessCount: number;
}

/** Everything ClickHouse holds of one boot of one guest on one device-model instance. */
export interface BootRecording {
  instance: BootInstance | null;
  accesses: ReplayAccessRow[];
  logLines: ReplayLogRow[];
}

/** The device-model instances a guest started on up to `boot`, latest first. */
export async function bootInstances(
  store: ClickHouseStore,
  q: { vm: string; boot: number },
  limits: ApiQueryLimits,
): Promise<BootInstance[]> {
  const rows = await limitedQuery<Record<string, unknown>>(
    store,
    'boot-instances',
    `SELECT dm, boot, host, profile, enforce_blacklist, idle_gap_ms, log_byte_accesses, source
     FROM dm_instances WHERE vm = {vm:UUID} AND boot <= {boot:UInt64} AND event = 'dm.started'
     ORDER BY boot DESC, time DESC, dm LIMIT 100`,
    { vm: q.vm, boot: q.boot },
    limits,
  );
  return rows.map((r) => ({
    dm: r.dm as string,
    boot: n64(r.boot),
    host: r.host as string,
    profile: r.profile as string,
    enforceBlacklist: r.enforce_blacklist as boolean,
    idleGapMs: r.idle_gap_ms as number,
    logByteAccesses: r.log_byte_accesses as boolean,
    source: r.source as string,
  }));
}

/**
 * The port accesses and log lines on one dm of boots `fromBoot` (default `boot`) to `boot`, in
 * seq order (replay's input: a dm's earlier boots leave state a later boot starts with).
 * One row per event: a duplicate the ReplacingMergeTree has not merged yet is read once. The
 * engine only filters on the sort key's prefix (vm, boot, dm): ordering and dropping copies of
 * a few thousand rows here costs less than its sort and `LIMIT 1 BY` (about 2 ms a replay).
 */
export async function bootRecording(
  store: ClickHouseStore,
  q: { vm: string; boot: number; dm: string; fromBoot?: number },
  limits: ApiQueryLimits,
): Promise<Omit<BootRecording, 'instance'>> {
  const params = { vm: q.vm, boot: q.boot, fromBoot: q.fromBoot ?? q.boot, dm: q.dm };
  const key =
    'vm = {vm:UUID} AND boot BETWEEN {fromBoot:UInt64} AND {boot:UInt64} AND dm = {dm:String}';
  const [accessRows, lineRows] = await Promise.all([
    limitedQuery<Record<string, unknown>>(
      store,
      'replay-accesses',
      `SELECT boot, seq, time, toString(op) AS op, port, size, value, response FROM port_accesses
       WHERE ${key} LIMIT 5000000`,
      params,
      limits,
    ),
    limitedQuery<Record<string, unknown>>(
      store,
      'replay-log-lines',
      `SELECT boot, seq, base64Encode(bytes) AS bytes, trigger, first_time, last_time, access_count
       FROM guest_logs WHERE ${key} LIMIT 5000000`,
      params,
      limits,
    ),
  ]);
  const times = new TimeParser();
  const accesses: ReplayAccessRow[] = [];
  for (const r of onePerSeq(accessRows)) {
    accesses.push({
      boot: n64(r.boot),
      seq: n64(r.seq),
      t: times.us(r.time as string),
      op: r.op as 'in' | 'out',
      port: r.port as number,
      size: r.size as number,
      value: n64OrNull(r.value),
      response: n64OrNull(r.response),
    });
  }
  const logLines: ReplayLogRow[] = [];
  for (const r of onePerSeq(lineRows)) {
    logLines.push({
      boot: n64(r.boot),
      seq: n64(r.seq),
      bytes: Buffer.from(r.bytes as string, 'base64'),
      trigger: (r.trigger as number | null) ?? null,
      firstUs: times.us(r.first_time as string),
      lastUs: times.us(r.last_time as string),
      accessCount: r.access_count as number,
    });
  }
  return { accesses, logLines };
}

/** Rows of one dm in seq order, one per seq (copies of an event are the same event). */
function onePerSeq(rows: Record<string, unknown>[]): Record<string, unknown>[] {
  const keyed = rows.map((row) => ({ seq: n64(row.seq), row }));
  keyed.sort((a, b) => a.seq - b.seq);
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < keyed.length; i++) {
    if (i === 0 || keyed[i]!.seq !== keyed[i - 1]!.seq) out.push(keyed[i]!.row);
  }
  return out;
}

/** timeUs with the seconds' Date.parse done once per second (a boot's events share most). */
class TimeParser {
  private second = '';
  private secondUs = 0;

  us(text: string): number {
    const second = text.slice(0, 19);
    if (second !== this.second) {
      this.second = second;
      this.secondUs = timeUs(second);
    }
    return this.secondUs + Number((text.slice(20) || '0').padEnd(6, '0'));
  }
}
