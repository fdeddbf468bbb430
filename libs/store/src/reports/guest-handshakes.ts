import type { ClickHouseStore } from '../clickhouse-store';
import type { HandshakeResult } from './latest-handshake-row';
import { uintParam, uuidParam } from './report-input';
import { reportQuery, type QueryLimits } from './report-query';
import {
  bool,
  numbers,
  numOrNull,
  str,
  strOrNull,
  strings,
  time,
  u64,
  u64OrNull,
} from './report-values';

export interface GuestHandshakesParams {
  vm: string;
  /** Only this boot. */
  boot?: number;
}

/** One recorded handshake.outcome, as stored. */
export interface RecordedHandshake {
  vm: string;
  host: string;
  domid: number;
  boot: number;
  dm: string;
  seq: number;
  time: string;
  handshakeId: string;
  result: HandshakeResult;
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

export const HANDSHAKE_COLUMNS = `vm, host, domid, boot, dm, seq, time, handshake_id, result,
  protocol_version, product_number, product_name, build, blacklisted, blacklist_key,
  blacklist_revision, mask, mask_writes, unplug_ide_scsi_disks, unplug_nics,
  unplug_aux_ide_disks, unplug_nvme_disks, unplug_applied, violations, start_time, end_time,
  access_count`;

export function recordedHandshake(r: Record<string, unknown>): RecordedHandshake {
  const productNumber = numOrNull(r.product_number);
  return {
    vm: str(r.vm),
    host: str(r.host),
    domid: u64(r.domid),
    boot: u64(r.boot),
    dm: str(r.dm),
    seq: u64(r.seq),
    time: time(r.time),
    handshakeId: str(r.handshake_id),
    result: str(r.result) as HandshakeResult,
    protocolVersion: numOrNull(r.protocol_version),
    product:
      productNumber === null ? null : { number: productNumber, name: strOrNull(r.product_name) },
    build: numOrNull(r.build),
    blacklisted: bool(r.blacklisted),
    blacklistKey: strOrNull(r.blacklist_key),
    blacklistRevision: u64OrNull(r.blacklist_revision),
    mask: u64(r.mask),
    maskWrites: numbers(r.mask_writes),
    unplug: {
      ideScsiDisks: bool(r.unplug_ide_scsi_disks),
      nics: bool(r.unplug_nics),
      auxIdeDisks: bool(r.unplug_aux_ide_disks),
      nvmeDisks: bool(r.unplug_nvme_disks),
    },
    unplugApplied: bool(r.unplug_applied),
    violations: strings(r.violations),
    startTime: time(r.start_time),
    endTime: time(r.end_time),
    accessCount: u64(r.access_count),
  };
}

/** A guest's handshakes in time order (through the handshakes table's by-guest projection). */
export async function guestHandshakes(
  store: ClickHouseStore,
  params: GuestHandshakesParams,
  limits?: QueryLimits,
): Promise<RecordedHandshake[]> {
  const rows = await reportQuery<Record<string, unknown>>(
    store,
    'guest-handshakes',
    `SELECT ${HANDSHAKE_COLUMNS}
     FROM handshakes
     WHERE vm = {vm:UUID} AND ({boot:Nullable(UInt64)} IS NULL OR boot = {boot:Nullable(UInt64)})
     ORDER BY end_time, dm, seq
     LIMIT 1 BY dm, seq`,
    {
      vm: uuidParam('vm', params.vm),
      boot:
        params.boot === undefined ? null : uintParam('boot', params.boot, Number.MAX_SAFE_INTEGER),
    },
    limits,
  );
  return rows.map(recordedHandshake);
}
