/**
 * The range state machine of one partition (pure). A range is the contiguous offsets one insert
 * covers; its dedup tokens are derived from its bounds, so a retry after a crash must rebuild the
 * very same range even though Kafka's fetch boundaries differ between attempts. A range is
 * therefore recorded durably before it is inserted, committed after, and one recorded but
 * uncommitted at (re)assignment is rebuilt exactly before anything new.
 */

/** Inclusive bounds. */
export interface OffsetRange {
  first: bigint;
  last: bigint;
}

export interface Positioned {
  offset: string;
}

export type PartitionState<R extends Positioned> =
  /** Assigned; the recorded range is known, the first offset Kafka delivers is not yet. */
  | { mode: 'starting'; recorded: OffsetRange | null }
  /** Rebuilding a recorded range: records are held until it is complete. */
  | { mode: 'rebuilding'; range: OffsetRange; held: readonly R[] }
  | { mode: 'free' };

export interface PlannedRange<R extends Positioned> {
  range: OffsetRange;
  records: readonly R[];
  /** Already in the state table (a rebuild): record nothing, insert exactly this. */
  recorded: boolean;
}

/** Something the operator should hear about: the group's offset and the recorded range disagree. */
export interface RangeWarning {
  recorded: OffsetRange;
  firstDelivered: bigint;
  message: string;
}

export interface RangeStep<R extends Positioned> {
  state: PartitionState<R>;
  ranges: PlannedRange<R>[];
  warning: RangeWarning | null;
}

export function startingState<R extends Positioned>(
  recorded: OffsetRange | null,
): PartitionState<R> {
  return { mode: 'starting', recorded };
}

/**
 * Where a partition resumes. The ingest commits each range before recording the next, so the
 * group's offset is either the recorded range's first offset (rebuild it) or past its end.
 */
export function resumeFrom<R extends Positioned>(
  recorded: OffsetRange | null,
  firstDelivered: bigint,
): { state: PartitionState<R>; warning: RangeWarning | null } {
  if (recorded === null || firstDelivered > recorded.last)
    return { state: { mode: 'free' }, warning: null };
  if (firstDelivered === recorded.first) {
    return { state: { mode: 'rebuilding', range: recorded, held: [] }, warning: null };
  }
  // Only an offset moved by hand (or retention deleting the range's start) lands here: the
  // range cannot be rebuilt, so what follows is new ranges (the tables' id backstop remains).
  return {
    state: { mode: 'free' },
    warning: {
      recorded,
      firstDelivered,
      message:
        `group offset ${firstDelivered} is inside or before the recorded uncommitted range ` +
        `${recorded.first}-${recorded.last}; it cannot be rebuilt exactly, ingesting on from ${firstDelivered}`,
    },
  };
}

/**
 * Feeds one delivered batch (contiguous, in offset order, following what came before) and
 * returns the ranges now ready, in order: first a rebuilt recorded range once complete, then new
 * ranges of at most `maxRows` records. A rebuild that is not complete yet holds its records.
 */
export function takeRanges<R extends Positioned>(
  state: PartitionState<R>,
  records: readonly R[],
  maxRows: number,
): RangeStep<R> {
  if (records.length === 0) return { state, ranges: [], warning: null };
  let warning: RangeWarning | null = null;
  let current = state;
  if (current.mode === 'starting') {
    const resumed = resumeFrom<R>(current.recorded, BigInt(records[0]!.offset));
    current = resumed.state;
    warning = resumed.warning;
  }
  const ranges: PlannedRange<R>[] = [];
  let rest = records;
  if (current.mode === 'rebuilding') {
    const { range } = current;
    // Offsets may have gaps (none on our topics, but Kafka allows them): compare, never count.
    const inside = rest.findIndex((r) => BigInt(r.offset) > range.last);
    const cut = inside < 0 ? rest.length : inside;
    const held = [...current.held, ...rest.slice(0, cut)];
    rest = rest.slice(cut);
    const complete = inside >= 0 || BigInt(held[held.length - 1]!.offset) === range.last;
    if (!complete) return { state: { mode: 'rebuilding', range, held }, ranges, warning };
    ranges.push({ range, records: held, recorded: true });
    current = { mode: 'free' };
  }
  for (let i = 0; i < rest.length; i += maxRows) {
    const chunk = rest.slice(i, i + maxRows);
    ranges.push({
      range: { first: BigInt(chunk[0]!.offset), last: BigInt(chunk[chunk.length - 1]!.offset) },
      records: chunk,
      recorded: false,
    });
  }
  return { state: current, ranges, warning };
}

/** The offset to commit once a range is stored: Kafka commits the next offset to read. */
export function commitOffsetAfter(range: OffsetRange): string {
  return (range.last + 1n).toString();
}

/** Records of a partition not yet stored: from the next offset to read up to the high watermark. */
export function consumerLag(highWatermark: string, nextOffset: bigint): number {
  const lag = BigInt(highWatermark) - nextOffset;
  return lag > 0n ? Number(lag) : 0;
}

/** `{topic}-{partition}-{first}-{last}-{kind}`: the same range and kind, the same token. */
export function dedupToken(
  topic: string,
  partition: number,
  range: OffsetRange,
  kind: string,
): string {
  return `${topic}-${partition}-${range.first}-${range.last}-${kind}`;
}
