/**
 * Ingest tests: events and poison records made to order, an ingest on the test broker and
 * store, and reads of what reached the raw tables and the DLQ.
 */
import { randomBytes } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import type { BusRecord, ConsumedRecord } from '@magicport/bus';
import {
  createEventStamper,
  DLQ_HEADERS,
  DLQ_TOPIC,
  encodeEvent,
  type GuestEvent,
} from '@magicport/events';
import type { ClickHouseStore } from '@magicport/store';
import type { DlqReason } from '../../apps/server/src/ingest/record-routing';
import { waitFor } from './recorder';

export const BAD_KINDS: readonly DlqReason[] = [
  'malformed-json',
  'invalid-envelope',
  'unknown-type',
  'unknown-version',
  'invalid-payload',
  'oversize',
];

/** The largest record the poison tests' ingest accepts (oversize records are made larger). */
export const TEST_MAX_RECORD_BYTES = 4096;

export interface MadeEvents {
  records: BusRecord[];
  /** Device-model ids of these events: the tests count their rows by them. */
  dms: string[];
  byType: Record<string, number>;
}

const uuid = () => {
  const h = randomBytes(16).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
};

/**
 * `count` valid events over `streams` device-model instances: a dm.started each, then
 * port.access events, dm.stopped last; ids unique to this call.
 */
export function makeEvents(count: number, streams = 50): MadeEvents {
  const run = randomBytes(4).toString('hex');
  const stampers = Array.from({ length: streams }, (_, i) =>
    createEventStamper({
      host: `test-host-${i % 7}`,
      dm: `ingest-${run}-${i}`,
      vm: uuid(),
      domid: 1 + i,
      boot: 0,
    }),
  );
  const records: BusRecord[] = [];
  const byType: Record<string, number> = {};
  const push = (_i: number, event: GuestEvent) => {
    records.push({ key: event.vm, value: encodeEvent(event) });
    byType[event.type] = (byType[event.type] ?? 0) + 1;
  };
  const t0 = Date.UTC(2026, 10, 2) * 1000;
  stampers.forEach((s, i) =>
    push(
      i,
      s.stamp(
        'dm.started',
        {
          profile: 'spec',
          enforceBlacklist: true,
          agentVersion: 'test',
          source: 'simulated',
          options: { logByteAccesses: false, idleGapMs: 5000 },
        },
        t0,
      ),
    ),
  );
  const accesses = count - 2 * streams;
  for (let n = 0; n < accesses; n++) {
    const i = n % streams;
    push(
      i,
      stampers[i]!.stamp(
        'port.access',
        { op: 'out', port: 0x10, size: 2, value: n & 0xffff, response: null },
        t0 + n,
      ),
    );
  }
  stampers.forEach((s, i) =>
    push(i, s.stamp('dm.stopped', { reason: 'agent-stop', detail: null }, t0 + count)),
  );
  return { records, dms: stampers.map((_, i) => `ingest-${run}-${i}`), byType };
}

/**
 * One bad record of `kind`, tagged (in `tag`, or in `dm` as `bad-{tag}` where an extra field
 * would change the verdict) so a DLQ entry can be traced back to what it was made as.
 */
export function badRecord(kind: DlqReason, tag: string): BusRecord {
  const valid = {
    id: `bad-${tag}:0`,
    type: 'port.access',
    v: 1,
    time: '2026-11-02T00:00:00.000000Z',
    host: 'h',
    dm: `bad-${tag}`,
    seq: 0,
    vm: '00000000-0000-4000-8000-000000000000',
    domid: 1,
    boot: 0,
    data: { op: 'out', port: 0x10, size: 2, value: 1, response: null },
  };
  const json = (v: unknown) => Buffer.from(JSON.stringify(v));
  switch (kind) {
    case 'malformed-json':
      return { key: tag, value: Buffer.from(`{"tag":"${tag}", not json`) };
    case 'invalid-envelope':
      return { key: tag, value: json({ ...valid, seq: -1 }) };
    case 'unknown-type':
      return { key: tag, value: json({ ...valid, type: 'guest.teleported' }) };
    case 'unknown-version':
      return { key: tag, value: json({ ...valid, v: 99 }) };
    case 'invalid-payload':
      return { key: tag, value: json({ ...valid, data: { ...valid.data, port: 0x20 } }) };
    case 'oversize':
      return { key: tag, value: json({ tag, pad: 'x'.repeat(TEST_MAX_RECORD_BYTES) }) };
  }
}

export function testKafkaClient(brokers: string[]): Kafka {
  return new Kafka({ clientId: 'magicport-ingest-test', brokers, logLevel: logLevel.NOTHING });
}

/** Every record of `topic` from the beginning to its end offsets now (a throwaway group). */
export type ReadRecord = ConsumedRecord & { partition: number; headers: Record<string, string> };

export async function readTopic(
  brokers: string[],
  topic: string,
  keep: (r: ReadRecord) => boolean = () => true,
): Promise<ReadRecord[]> {
  const kafka = testKafkaClient(brokers);
  const admin = kafka.admin();
  await admin.connect();
  const ends = new Map(
    (await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, BigInt(o.high)]),
  );
  const pending = new Set([...ends].filter(([, end]) => end > 0n).map(([p]) => p));
  const out: ReadRecord[] = [];
  const groupId = `ingest-test-read-${randomBytes(6).toString('hex')}`;
  const consumer = kafka.consumer({ groupId });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await new Promise<void>((resolve, reject) => {
    if (pending.size === 0) return resolve();
    consumer
      .run({
        eachBatch: async ({ batch }) => {
          const end = ends.get(batch.partition) ?? 0n;
          for (const m of batch.messages) {
            if (BigInt(m.offset) >= end) continue;
            const record = {
              partition: batch.partition,
              key: m.key?.toString() ?? null,
              value: m.value ?? Buffer.alloc(0),
              headers: Object.fromEntries(
                Object.entries(m.headers ?? {}).map(([k, v]) => [k, String(v ?? '')]),
              ),
              offset: m.offset,
              timestamp: Number(m.timestamp),
            };
            if (keep(record)) out.push(record);
          }
          if (BigInt(batch.lastOffset()) >= end - 1n) pending.delete(batch.partition);
          if (pending.size === 0) resolve();
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();
  await admin.deleteGroups([groupId]).catch(() => undefined);
  await admin.disconnect();
  return out;
}

/** DLQ records whose source is `topic`. */
export function readDlq(brokers: string[], topic: string) {
  return readTopic(brokers, DLQ_TOPIC, (r) => r.headers[DLQ_HEADERS.sourceTopic] === topic);
}

/** Places a group that has not started yet at the given offsets of `topic`. */
export async function placeGroupAt(
  brokers: string[],
  groupId: string,
  topic: string,
  offsets: Map<number, bigint>,
): Promise<void> {
  const admin = testKafkaClient(brokers).admin();
  await admin.connect();
  try {
    await admin.setOffsets({
      groupId,
      topic,
      partitions: [...offsets].map(([partition, offset]) => ({
        partition,
        offset: String(offset),
      })),
    });
  } finally {
    await admin.disconnect();
  }
}

/** The group's committed offset per partition (-1 = none). */
export async function committedOffsets(
  brokers: string[],
  groupId: string,
  topic: string,
): Promise<Map<number, bigint>> {
  const admin = testKafkaClient(brokers).admin();
  await admin.connect();
  try {
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return new Map((offsets?.partitions ?? []).map((p) => [p.partition, BigInt(p.offset)]));
  } finally {
    await admin.disconnect();
  }
}

/** Waits until the group has committed every partition of `topic` up to `ends` (or past). */
export async function waitCommittedToEnd(
  brokers: string[],
  groupId: string,
  topic: string,
  ends: ReadonlyMap<number, bigint>,
  timeoutMs: number,
): Promise<void> {
  await waitFor(
    'every partition committed to its end',
    async () => {
      const committed = await committedOffsets(brokers, groupId, topic);
      return [...ends].every(([p, end]) => (committed.get(p) ?? -1n) >= end);
    },
    timeoutMs,
    250,
  );
}

/** Sum of the group's committed offsets over the topic's partitions (none committed counts 0). */
export async function committedTotal(
  brokers: string[],
  groupId: string,
  topic: string,
): Promise<bigint> {
  const committed = await committedOffsets(brokers, groupId, topic);
  return [...committed.values()].reduce((a, b) => a + (b > 0n ? b : 0n), 0n);
}

/** Rows per event type of the given dms across the raw tables, and duplicate (dm, seq) pairs. */
export async function storedCounts(
  store: ClickHouseStore,
  dms: readonly string[],
): Promise<{ byType: Record<string, number>; duplicates: number }> {
  // The dms go in a table of their own: thousands of them as a query parameter would make a
  // server's URL too long.
  const table = `test_dms_${randomBytes(6).toString('hex')}`;
  await store.command(`CREATE TABLE ${table} (dm String) ENGINE = Memory`);
  try {
    await store.insert(
      table,
      dms.map((dm) => ({ dm })),
    );
    const rows = await store.query<{ type: string; n: string; dup: string }>(
      `SELECT type, count() AS n, count() - uniqExact(dm, seq) AS dup FROM (
         SELECT toString(event) AS type, dm, seq FROM dm_instances WHERE dm IN (SELECT dm FROM ${table})
         UNION ALL SELECT 'port.access', dm, seq FROM port_accesses WHERE dm IN (SELECT dm FROM ${table})
         UNION ALL SELECT 'handshake.outcome', dm, seq FROM handshakes WHERE dm IN (SELECT dm FROM ${table})
         UNION ALL SELECT 'guest.log', dm, seq FROM guest_logs WHERE dm IN (SELECT dm FROM ${table})
       ) GROUP BY type ORDER BY type`,
    );
    return {
      byType: Object.fromEntries(rows.map((r) => [r.type, Number(r.n)])),
      duplicates: rows.reduce((sum, r) => sum + Number(r.dup), 0),
    };
  } finally {
    await store.command(`DROP TABLE IF EXISTS ${table}`);
  }
}
