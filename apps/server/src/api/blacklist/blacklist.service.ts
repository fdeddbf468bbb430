import { hostname } from 'node:os';
import {
  BlacklistWriter,
  writerStreamId,
  type BlacklistCommand,
  type BlacklistHistory,
  type BlacklistWriteResult,
} from '@magicport/blacklist';
import type { Bus } from '@magicport/bus';

/**
 * The server's side of the event-sourced blacklist: commands go through one BlacklistWriter
 * (conditional append on the single-partition topic, so replicas never share a revision), and
 * reads fold the topic, which is the blacklist's source of truth.
 */
export class BlacklistService {
  private readonly writer: BlacklistWriter;

  constructor(bus: Bus, log: (line: string) => void) {
    const host = hostname();
    this.writer = new BlacklistWriter(bus, { host, stream: writerStreamId(host), log });
  }

  read(): Promise<BlacklistHistory> {
    return this.writer.read();
  }

  execute(command: BlacklistCommand): Promise<BlacklistWriteResult> {
    return this.writer.execute(command);
  }
}
