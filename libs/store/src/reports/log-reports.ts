import type { ClickHouseStore } from '../clickhouse-store';
import { isoTime, limitedQuery, n64, Where, type ApiQueryLimits } from './api-query';

export interface GuestLogRow {
  time: string;
  vm: string;
  host: string;
  dm: string;
  seq: number;
  boot: number;
  text: string;
  truncated: boolean;
  droppedBefore: number;
  throttledMs: number;
  handshakeId: string | null;
  /** `unattributed`: a qemu-dm log line the tap could not tell from qemu-dm's own messages. */
  attribution: GuestLogAttribution;
}

export type GuestLogAttribution = 'guest' | 'unattributed';

export interface GuestLogsQuery {
  /** One guest, or the whole fleet when absent (then `from`/`to` bound the scan). */
  vm?: string;
  boot?: number;
  from?: string;
  to?: string;
  /** RE2 regular expression on the line's text. */
  grep?: string;
  /** Case-insensitive substring of the line's text. */
  contains?: string;
  host?: string;
  /** Only lines of this attribution; both when absent. */
  attribution?: GuestLogAttribution;
  after?: { time: string; dm: string; seq: number };
  limit: number;
}

/**
 * Guest log lines in (time, dm, seq) order, with their rate-limiter counts, one per event:
 * guest_logs is a ReplacingMergeTree, so an event inserted twice (a redelivered record that
 * missed the insert dedup window) stays two rows until a merge, maybe for long. A copy has its
 * event's (time, dm, seq), so it sits next to the original in this order: copies are dropped
 * by event id here, and when they shortened the page the rest is read from after the last
 * key (the keyset skips every copy of it). That keeps the engine's top-N sort (ORDER BY ...
 * LIMIT) where LIMIT 1 BY would sort every matching row of a fleet-wide search.
 */
export async function guestLogs(
  store: ClickHouseStore,
  q: GuestLogsQuery,
  limits: ApiQueryLimits,
): Promise<GuestLogRow[]> {
  const lines: GuestLogRow[] = [];
  const seen = new Set<string>();
  let after = q.after;
  for (;;) {
    const want = q.limit - lines.length;
    if (want <= 0) return lines;
    const rows = await guestLogRows(store, { ...q, after, limit: want }, limits);
    for (const row of rows) {
      const id = `${row.dm}:${row.seq}`;
      if (seen.has(id)) continue;
      seen.add(id);
      lines.push(row);
    }
    const last = rows[rows.length - 1];
    if (rows.length < want || last === undefined) return lines;
    after = { time: last.time.replace('T', ' ').replace('Z', ''), dm: last.dm, seq: last.seq };
  }
}

async function guestLogRows(
  store: ClickHouseStore,
  q: GuestLogsQuery,
  limits: ApiQueryLimits,
): Promise<GuestLogRow[]> {
  const where = new Where()
    .maybe(q.vm, 'vm = {vm:UUID}', { vm: q.vm })
    .maybe(q.boot, 'boot = {boot:UInt64}', { boot: q.boot })
    .maybe(q.from, "time >= {from:DateTime64(6, 'UTC')}", { from: q.from })
    .maybe(q.to, "time < {to:DateTime64(6, 'UTC')}", { to: q.to })
    .maybe(q.host, 'host = {host:String}', { host: q.host })
    .maybe(q.attribution, 'attribution = {attribution:String}', { attribution: q.attribution })
    .maybe(q.grep, 'match(text, {grep:String})', { grep: q.grep })
    // The condition guest_logs' ngram index (migration 0002) serves; LIKE wildcards escaped.
    .maybe(q.contains, "lowerUTF8(text) LIKE concat('%', lowerUTF8({contains:String}), '%')", {
      contains: q.contains?.replace(/[\\%_]/g, (c) => `\\${c}`),
    })
    .maybe(
      q.after,
      "(time, dm, seq) > ({afterTime:DateTime64(6, 'UTC')}, {afterDm:String}, {afterSeq:UInt64})",
      { afterTime: q.after?.time, afterDm: q.after?.dm, afterSeq: q.after?.seq },
    );
  const rows = await limitedQuery<Record<string, unknown>>(
    store,
    q.vm === undefined ? 'log-search' : 'guest-logs',
    `SELECT time, vm, host, dm, seq, boot, text, truncated, dropped_before, throttled_ms, handshake_id,
       toString(attribution) AS attribution
     FROM guest_logs WHERE ${where} ORDER BY time, dm, seq LIMIT {limit:UInt32}`,
    { ...where.params, limit: q.limit },
    limits,
  );
  return rows.map((r) => ({
    time: isoTime(r.time as string),
    vm: r.vm as string,
    host: r.host as string,
    dm: r.dm as string,
    seq: n64(r.seq),
    boot: n64(r.boot),
    text: r.text as string,
    truncated: r.truncated as boolean,
    droppedBefore: n64(r.dropped_before),
    throttledMs: r.throttled_ms as number,
    handshakeId: (r.handshake_id as string | null) ?? null,
    attribution: r.attribution as GuestLogAttribution,
  }));
}
