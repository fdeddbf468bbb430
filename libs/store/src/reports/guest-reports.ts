import type { ClickHouseStore } from '../clickhouse-store';
import { isoTime, limitedQuery, n64, n64OrNull, Where, type ApiQueryLimits } from './api-query';

/** A guest and its latest handshake (the driver it runs now). */
export interface CurrentGuestRow {
  vm: string;
  host: string;
  boot: number;
  lastSeen: string;
  handshakeId: string;
  result: string;
  product: number | null;
  productName: string | null;
  build: number | null;
  blacklisted: boolean;
  blacklistRevision: number | null;
  unplugApplied: boolean;
  violations: string[];
}

export interface GuestsOnBuildQuery {
  product: number;
  build: number;
  host?: string;
  /** Keyset: guests after this vm. */
  afterVm?: string;
  limit: number;
}

export interface BuildPopulation {
  guests: number;
  hosts: number;
}

const LATEST_COLUMNS = `vm, host, boot, end_time, handshake_id, result, product_number, product_name,
  build, blacklisted, blacklist_revision, unplug_applied, violations`;

const LATEST_STRING_COLUMNS = LATEST_COLUMNS.replace('result,', 'toString(result) AS result,');

function currentGuest(r: Record<string, unknown>): CurrentGuestRow {
  return {
    vm: r.vm as string,
    host: r.host as string,
    boot: n64(r.boot),
    lastSeen: isoTime(r.end_time as string),
    handshakeId: r.handshake_id as string,
    result: r.result as string,
    product: (r.product_number as number | null) ?? null,
    productName: (r.product_name as string | null) ?? null,
    build: (r.build as number | null) ?? null,
    blacklisted: r.blacklisted as boolean,
    blacklistRevision: n64OrNull(r.blacklist_revision),
    unplugApplied: r.unplug_applied as boolean,
    violations: r.violations as string[],
  };
}

/** Guests whose latest handshake announced `product`/`build`, by vm. */
export async function guestsOnBuild(
  store: ClickHouseStore,
  q: GuestsOnBuildQuery,
  limits: ApiQueryLimits,
): Promise<CurrentGuestRow[]> {
  const where = new Where()
    .add('product_number = {product:UInt16} AND build = {build:UInt32}', {
      product: q.product,
      build: q.build,
    })
    .maybe(q.host, 'host = {host:String}', { host: q.host })
    .maybe(q.afterVm, 'vm > {afterVm:UUID}', { afterVm: q.afterVm });
  const rows = await limitedQuery<Record<string, unknown>>(
    store,
    'guests-on-build',
    `SELECT ${LATEST_COLUMNS} FROM latest_handshakes FINAL WHERE ${where}
     ORDER BY vm LIMIT {limit:UInt32}`,
    { ...where.params, limit: q.limit },
    limits,
  );
  return rows.map(currentGuest);
}

/** How many guests and hosts run `product`/`build` now (their latest handshake). */
export async function buildPopulation(
  store: ClickHouseStore,
  q: { product: number; build: number },
  limits: ApiQueryLimits,
): Promise<BuildPopulation> {
  const [row] = await limitedQuery<Record<string, unknown>>(
    store,
    'build-population',
    `SELECT count() AS guests, uniqExact(host) AS hosts FROM latest_handshakes FINAL
     WHERE product_number = {product:UInt16} AND build = {build:UInt32}`,
    { product: q.product, build: q.build },
    limits,
  );
  return { guests: n64(row?.guests ?? 0), hosts: n64(row?.hosts ?? 0) };
}

/** Why a guest still runs on emulated devices. */
export type EmulatedReason =
  | 'no-pv-driver'
  | 'blacklisted'
  /** The driver wrote a mask the device model did not apply (enforced blacklist). */
  | 'blacklist-enforced'
  | 'version-unsupported'
  | 'no-unplug'
  | 'magic-mismatch'
  | 'abandoned';

export interface EmulatedGuestRow {
  vm: string;
  host: string;
  reason: EmulatedReason;
  /** The latest handshake; null for a guest that never made one. */
  latest: CurrentGuestRow | null;
  violations: string[];
}

export interface EmulatedGuestsQuery {
  host?: string;
  reason?: EmulatedReason;
  afterVm?: string;
  limit: number;
}

/**
 * Guests whose latest handshake did not get them onto PV devices (anything but an applied
 * unplug), and guests that started without ever making a handshake (no PV driver).
 */
export async function emulatedGuests(
  store: ClickHouseStore,
  q: EmulatedGuestsQuery,
  limits: ApiQueryLimits,
): Promise<EmulatedGuestRow[]> {
  const where = new Where()
    .maybe(q.host, 'host = {host:String}', { host: q.host })
    .maybe(q.reason, 'reason = {reason:String}', { reason: q.reason })
    .maybe(q.afterVm, 'vm > {afterVm:UUID}', { afterVm: q.afterVm });
  const rows = await limitedQuery<Record<string, unknown>>(
    store,
    'emulated-guests',
    `SELECT *, multiIf(no_driver = 1, 'no-pv-driver',
         result IN ('unplugged', 'blacklist-ignored'), 'blacklist-enforced', result) AS reason
     FROM (
       SELECT ${LATEST_STRING_COLUMNS}, 0 AS no_driver FROM latest_handshakes FINAL
       WHERE NOT (result IN ('unplugged', 'blacklist-ignored') AND unplug_applied)
       UNION ALL
       SELECT vm, any(host) AS host, max(boot) AS boot, max(time) AS end_time, '' AS handshake_id,
         'abandoned' AS result, NULL AS product_number, NULL AS product_name, NULL AS build,
         false AS blacklisted, NULL AS blacklist_revision, false AS unplug_applied,
         CAST([], 'Array(String)') AS violations, 1 AS no_driver
       FROM dm_instances WHERE event = 'dm.started' AND vm NOT IN (SELECT vm FROM latest_handshakes)
       GROUP BY vm
     ) WHERE ${where} ORDER BY vm LIMIT {limit:UInt32}`,
    { ...where.params, limit: q.limit },
    limits,
  );
  return rows.map((r): EmulatedGuestRow => {
    const reason = r.reason as EmulatedReason;
    if (reason === 'no-pv-driver') {
      return { vm: r.vm as string, host: r.host as string, reason, latest: null, violations: [] };
    }
    const latest = currentGuest(r);
    return { vm: latest.vm, host: latest.host, reason, latest, violations: latest.violations };
  });
}
