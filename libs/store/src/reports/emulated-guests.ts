import type { ClickHouseStore } from '../clickhouse-store';
import type { HandshakeResult } from './latest-handshake-row';
import { decodeCursor, toPage, type Page } from './report-cursor';
import { pageSize, uuidParam } from './report-input';
import { reportQuery, type QueryLimits } from './report-query';
import { bool, numOrNull, str, strOrNull, strings, time } from './report-values';

/**
 * Why a running guest still uses emulated devices:
 * - `no-handshake`: no handshake since its device model started (no PV driver, or not yet);
 * - a handshake result: its latest handshake did not get the devices unplugged;
 * - `violations`: unplugged, but the driver broke the protocol on the way.
 */
export type EmulatedReason = 'no-handshake' | HandshakeResult | 'violations';

export interface EmulatedGuest {
  vm: string;
  host: string;
  reason: EmulatedReason;
  /** When its device model started (the latest dm.started). */
  startedAt: string;
  /** The latest handshake, when there is one since the start. */
  handshake: {
    result: HandshakeResult;
    productNumber: number | null;
    productName: string | null;
    build: number | null;
    unplugApplied: boolean;
    violations: string[];
    endTime: string;
  } | null;
}

export interface EmulatedGuestsParams {
  cursor?: string;
  limit?: number;
}

const REPORT = 'emulated-guests';

interface Row {
  vm: string;
  host: string;
  started_at: string;
  has_handshake: boolean;
  result: string;
  product_number: number | null;
  product_name: string | null;
  build: number | null;
  unplug_applied: boolean;
  violations: string[];
  end_time: string;
}

/** Running guests (latest device-model event is dm.started) not fully on PV devices, by vm. */
export async function emulatedGuests(
  store: ClickHouseStore,
  params: EmulatedGuestsParams = {},
  limits?: QueryLimits,
): Promise<Page<EmulatedGuest>> {
  const limit = pageSize(params.limit);
  const after =
    params.cursor === undefined
      ? null
      : uuidParam('cursor', String(decodeCursor(REPORT, params.cursor, ['string'])[0]));
  const rows = await reportQuery<Row>(
    store,
    REPORT,
    `WITH running AS (
       SELECT vm, argMax(event, (time, seq)) AS last_event, argMax(host, (time, seq)) AS host,
         maxIf(time, event = 'dm.started') AS started_at
       FROM dm_instances
       WHERE {after:Nullable(UUID)} IS NULL OR vm > {after:Nullable(UUID)}
       GROUP BY vm
       HAVING last_event = 'dm.started'
     )
     SELECT running.vm AS vm, running.host AS host, running.started_at AS started_at,
       toBool(ifNull(h.end_time >= running.started_at, false)) AS has_handshake,
       toString(h.result) AS result, h.product_number AS product_number,
       h.product_name AS product_name, h.build AS build, h.unplug_applied AS unplug_applied,
       h.violations AS violations, h.end_time AS end_time
     FROM running
     LEFT JOIN (
       SELECT vm, result, product_number, product_name, build, unplug_applied, violations, end_time
       FROM latest_handshakes FINAL
     ) AS h ON h.vm = running.vm
     WHERE NOT has_handshake OR NOT ifNull(h.unplug_applied, false) OR notEmpty(h.violations)
     ORDER BY vm
     LIMIT {take:UInt32}`,
    { after, take: limit + 1 },
    limits,
  );
  const guests = rows.map((r): EmulatedGuest => {
    const base = { vm: str(r.vm), host: str(r.host), startedAt: time(r.started_at) };
    // Without a handshake since the start, the joined columns are defaults (or nulls).
    if (!bool(r.has_handshake)) return { ...base, reason: 'no-handshake', handshake: null };
    const result = str(r.result) as HandshakeResult;
    const unplugApplied = bool(r.unplug_applied);
    return {
      ...base,
      reason: unplugApplied ? 'violations' : result,
      handshake: {
        result,
        productNumber: numOrNull(r.product_number),
        productName: strOrNull(r.product_name),
        build: numOrNull(r.build),
        unplugApplied,
        violations: strings(r.violations),
        endTime: time(r.end_time),
      },
    };
  });
  return toPage(REPORT, guests, limit, (g) => [g.vm]);
}
