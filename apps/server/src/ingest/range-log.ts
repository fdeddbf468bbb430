import type { ConsumedBatch } from '@magicport/bus';
import type { RangeLog } from './ingest-ports';
import type { OffsetRange } from './partition-ranges';

const PREFIX = 'magicport-range/1:';

/**
 * The range log kept where Kafka fences it: a range is recorded by committing the partition's
 * current offset (the range's first) with the range as the commit's metadata, and cleared by the
 * commit after its insert. The group coordinator refuses a commit from a member whose generation
 * is over, so once the partition's new owner has started (and read the log), the old owner can no
 * longer record a range it would then insert cut differently. A table in ClickHouse could not
 * refuse that write: it was the duplicate a rebalance could leave.
 */
export const commitRangeLog: RangeLog = {
  async load(batch: ConsumedBatch): Promise<OffsetRange | null> {
    const { metadata } = await batch.committed();
    return parseRangeMetadata(metadata);
  },
  async record(batch: ConsumedBatch, range: OffsetRange): Promise<void> {
    await batch.commit(range.first.toString(), formatRangeMetadata(range));
  },
};

export function formatRangeMetadata(range: OffsetRange): string {
  return `${PREFIX}${range.first}-${range.last}`;
}

/** Null for no metadata, or metadata another tool committed (it names no range of ours). */
export function parseRangeMetadata(metadata: string | null): OffsetRange | null {
  if (!metadata?.startsWith(PREFIX)) return null;
  const match = /^(\d+)-(\d+)$/.exec(metadata.slice(PREFIX.length));
  if (!match) return null;
  const range = { first: BigInt(match[1]!), last: BigInt(match[2]!) };
  return range.first <= range.last ? range : null;
}
