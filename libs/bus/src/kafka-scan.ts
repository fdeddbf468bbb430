import { randomBytes } from 'node:crypto';
import type { Admin, Consumer, Kafka } from 'kafkajs';
import type { ScanVisitor } from './types';
import { consumedRecord } from './kafka-record';
import { partitionsOfKeys } from './partitioner';

export interface ScanOptions {
  /**
   * Give up (reject) when no records arrived for this long before every end offset was reached.
   * A stall, not a total: scanning a busy topic far back may rightly take longer.
   */
  stallMs: number;
}

export const SCAN_DEFAULTS: ScanOptions = { stallMs: 60_000 };

interface Range {
  start: bigint;
  end: bigint;
}

/**
 * `Bus.scanSince` on Kafka: the end offsets first, then per partition the first offset whose
 * timestamp is at or after `sinceMs` (a partition with none has nothing to read), then a
 * consumer in a group of its own that commits nothing, seeked to those offsets and stopped once
 * every partition reached its end. kafkajs 2 cannot assign partitions without a group, hence the
 * throwaway group, deleted afterwards.
 */
export async function scanKafkaSince(
  kafka: Kafka,
  topic: string,
  sinceMs: number,
  visit: ScanVisitor,
  keys?: ReadonlySet<string>,
  options: ScanOptions = SCAN_DEFAULTS,
): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const ranges = await scanRanges(admin, topic, sinceMs);
    // Partitions none of `keys` maps to hold none of the records looked for: read nothing there.
    const wanted = keys ? partitionsOfKeys(keys, ranges.size) : null;
    for (const [partition, range] of ranges)
      if (wanted && !wanted.has(partition)) range.start = range.end;
    const pending = new Set([...ranges].filter(([, r]) => r.start < r.end).map(([p]) => p));
    if (pending.size === 0) return;
    const groupId = `magicport-scan-${randomBytes(8).toString('hex')}`;
    const consumer = kafka.consumer({
      groupId,
      allowAutoTopicCreation: false,
      // A failed scan is retried by its caller with a fresh consumer; kafkajs must not restart
      // this one behind our back.
      retry: { retries: 5, restartOnFailure: async () => false },
    });
    try {
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await readRanges(consumer, topic, ranges, pending, visit, options.stallMs);
    } finally {
      await consumer.disconnect();
      // The group never committed, so the broker drops it by itself; this only saves it the row.
      await admin.deleteGroups([groupId]).catch(() => undefined);
    }
  } finally {
    await admin.disconnect();
  }
}

async function scanRanges(admin: Admin, topic: string, sinceMs: number) {
  // End offsets before the lookup by time: a partition whose lookup finds no record at or after
  // `sinceMs` gets the then end offset from kafkajs, which is at or past ours, so it reads nothing.
  const ends = await admin.fetchTopicOffsets(topic);
  const starts = await admin.fetchTopicOffsetsByTimestamp(topic, sinceMs);
  const ranges = new Map<number, Range>();
  for (const { partition, high } of ends) {
    const start = starts.find((s) => s.partition === partition)?.offset ?? high;
    ranges.set(partition, { start: BigInt(start), end: BigInt(high) });
  }
  return ranges;
}

function readRanges(
  consumer: Consumer,
  topic: string,
  ranges: ReadonlyMap<number, Range>,
  pending: Set<number>,
  visit: ScanVisitor,
  stallMs: number,
): Promise<void> {
  let progressAt = Date.now();
  let watchdog: NodeJS.Timeout | undefined;
  return new Promise<void>((resolve, reject) => {
    watchdog = setInterval(
      () => {
        if (Date.now() - progressAt <= stallMs) return;
        const unread = [...pending].join(',');
        reject(
          new Error(`scan of ${topic} stalled for ${stallMs} ms (partitions ${unread} unread)`),
        );
      },
      Math.min(stallMs, 1_000),
    );
    consumer.on(consumer.events.CRASH, ({ payload }) => reject(payload.error));
    consumer
      .run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          progressAt = Date.now();
          const range = ranges.get(batch.partition);
          if (!range || !pending.has(batch.partition)) return;
          try {
            for (const m of batch.messages) {
              const offset = BigInt(m.offset);
              if (offset < range.start || offset >= range.end) continue;
              visit(consumedRecord(m), batch.partition);
            }
          } catch (err) {
            reject(err);
            return;
          }
          if (BigInt(batch.lastOffset()) >= range.end - 1n) {
            pending.delete(batch.partition);
            if (pending.size === 0) resolve();
          }
        },
      })
      .then(() => {
        // Seeks take effect as partitions are assigned; a partition with nothing to read waits
        // at its end instead of being read from the beginning. A consumer that crashed while
        // joining (e.g. "coordinator is loading" on a fresh broker) throws here: the scan fails
        // (its caller retries), rather than leaving an unhandled rejection behind.
        try {
          for (const [partition, { start, end }] of ranges) {
            const offset = pending.has(partition) ? start : end;
            consumer.seek({ topic, partition, offset: offset.toString() });
          }
        } catch (err) {
          reject(err);
        }
      }, reject);
  }).finally(() => clearInterval(watchdog));
}
