import type { HandshakeOutcomeData } from '@magicport/events';
import { bool, numOrNull, str, strOrNull, strings, time, u64, u64OrNull } from './report-values';

export type HandshakeResult = HandshakeOutcomeData['result'];

/** A guest's latest handshake (latest_handshakes). */
export interface LatestHandshake {
  vm: string;
  host: string;
  domid: number;
  boot: number;
  dm: string;
  seq: number;
  handshakeId: string;
  result: HandshakeResult;
  productNumber: number | null;
  productName: string | null;
  build: number | null;
  blacklisted: boolean;
  blacklistRevision: number | null;
  unplugApplied: boolean;
  violations: string[];
  endTime: string;
}

export const LATEST_COLUMNS = `vm, host, domid, boot, dm, seq, handshake_id, result, product_number,
  product_name, build, blacklisted, blacklist_revision, unplug_applied, violations, end_time`;

export function latestHandshake(r: Record<string, unknown>): LatestHandshake {
  return {
    vm: str(r.vm),
    host: str(r.host),
    domid: u64(r.domid),
    boot: u64(r.boot),
    dm: str(r.dm),
    seq: u64(r.seq),
    handshakeId: str(r.handshake_id),
    result: str(r.result) as HandshakeResult,
    productNumber: numOrNull(r.product_number),
    productName: strOrNull(r.product_name),
    build: numOrNull(r.build),
    blacklisted: bool(r.blacklisted),
    blacklistRevision: u64OrNull(r.blacklist_revision),
    unplugApplied: bool(r.unplug_applied),
    violations: strings(r.violations),
    endTime: time(r.end_time),
  };
}
