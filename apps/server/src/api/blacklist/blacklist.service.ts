import { hostname } from 'node:os';
import {
  BlacklistWriter,
  writerStreamId,
  type BlacklistCommand,
  type BlacklistHistory,
  type BlacklistWriteResult,
} from '@magicport/blacklist';
import type { Bus } from '@magicport/bus';
import { BLACKLIST_TOPIC } from '@magicport/events';

interface Folded {
  /** The topic's end offsets when the fold was asked for. */
  end: string;
  history: Promise<BlacklistHistory>;
}

/**
 * The server's side of the event-sourced blacklist: commands go through one BlacklistWriter
 * (conditional append on the single-partition topic, so replicas never share a revision), and
 * reads fold the topic, which is the blacklist's source of truth.
 *
 * A fold on Kafka is a throwaway consumer group (join, seek, read, leave): far slower than the
 * report queries that need the blacklist beside them (fleet builds' blacklistedNow, replay,
 * impact). So the fold is kept and reused while the topic's end offset is unchanged: every
 * append (applied, void or junk) moves it, so one cheap offset lookup tells whether the kept
 * fold is still the topic. Concurrent reads at one end offset share one fold.
 */
export class BlacklistService {
  private readonly writer: BlacklistWriter;
  private folded: Folded | null = null;

  constructor(
    private readonly bus: Bus,
    log: (line: string) => void,
  ) {
    const host = hostname();
    this.writer = new BlacklistWriter(bus, { host, stream: writerStreamId(host), log });
  }

  /** The blacklist as the topic holds it now (callers must not change it: it is shared). */
  async read(): Promise<BlacklistHistory> {
    const end = offsetsKey(await this.bus.endOffsets(BLACKLIST_TOPIC));
    if (this.folded?.end === end) return this.folded.history;
    // The fold reads up to the end offsets it finds itself, at or past `end`: a kept fold is
    // never older than its key, and a later append changes the key and so forces a new fold.
    const folded: Folded = { end, history: this.writer.read() };
    this.folded = folded;
    folded.history.catch(() => {
      if (this.folded === folded) this.folded = null;
    });
    return folded.history;
  }

  execute(command: BlacklistCommand): Promise<BlacklistWriteResult> {
    return this.writer.execute(command);
  }
}

function offsetsKey(offsets: Map<number, string>): string {
  return [...offsets]
    .sort(([a], [b]) => a - b)
    .map(([partition, end]) => `${partition}:${end}`)
    .join(',');
}
