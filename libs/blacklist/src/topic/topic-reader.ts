import type { Bus } from '@magicport/bus';
import { decodeEvent, type BlacklistEvent } from '@magicport/events';
import { BlacklistHistory } from '../history';

/** A record on the blacklist topic that is no blacklist event: skipped, reported. */
export interface RejectedBlacklistRecord {
  offset: string;
  reason: string;
}

export interface BlacklistTopicRead {
  history: BlacklistHistory;
  rejected: RejectedBlacklistRecord[];
}

/**
 * Folds the whole blacklist topic, in offset order, up to its end when the read starts. The
 * revision rule ("first event with a revision wins") needs one total order, so a topic of more
 * than one partition is refused rather than read in an order that differs between readers.
 */
export async function readBlacklistTopic(bus: Bus, topic: string): Promise<BlacklistTopicRead> {
  const partitions = (await bus.endOffsets(topic)).size;
  if (partitions !== 1) {
    throw new Error(
      `blacklist topic ${topic} has ${partitions} partitions; it needs exactly 1 (one order of revisions)`,
    );
  }
  for (let attempt = 1; ; attempt++) {
    const history = new BlacklistHistory();
    const rejected: RejectedBlacklistRecord[] = [];
    try {
      await bus.scanSince(topic, 0, (record) => {
        const event = blacklistEventOf(record.value);
        if (typeof event === 'string') rejected.push({ offset: record.offset, reason: event });
        else history.apply(event);
      });
      return { history, rejected };
    } catch (err) {
      // A scan only reads, so a failed one (a group coordinator still loading, a broker
      // moving) is simply read again from the start, a few times.
      if (attempt >= SCAN_ATTEMPTS) throw err;
      await new Promise((r) => setTimeout(r, 250 * attempt));
    }
  }
}

const SCAN_ATTEMPTS = 5;

/** The blacklist event a record holds, or why it holds none. */
export function blacklistEventOf(value: Buffer): BlacklistEvent | string {
  const decoded = decodeEvent(value);
  if (!decoded.ok) return decoded.reason;
  if ('vm' in decoded.event) return `not a blacklist event (${decoded.event.type})`;
  return decoded.event;
}
