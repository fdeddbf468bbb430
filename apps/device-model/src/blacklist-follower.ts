import { BlacklistView } from '@magicport/blacklist';
import type { Bus, Subscription } from '@magicport/bus';
import { BLACKLIST_TOPIC, decodeEvent, type BlacklistEvent } from '@magicport/events';

/**
 * Folds the blacklist topic from its beginning into a view and follows it. `caughtUp` turns
 * true once everything that was on the topic when following began has been applied; until then
 * the agent must not answer handshakes from a partial blacklist.
 */
export class BlacklistFollower {
  readonly view = new BlacklistView();
  private subscription: Subscription | null = null;
  private pending = new Map<number, bigint>();
  private caughtUpResolve: (() => void) | null = null;
  readonly ready: Promise<void>;
  caughtUp = false;
  /** Records on the topic that are not blacklist events (reported, never applied). */
  rejected = 0;

  constructor(
    private readonly bus: Bus,
    private readonly groupId: string,
    private readonly log: (message: string) => void,
  ) {
    this.ready = new Promise((resolve) => (this.caughtUpResolve = resolve));
  }

  async start(): Promise<void> {
    const ends = await this.bus.endOffsets(BLACKLIST_TOPIC);
    for (const [partition, end] of ends)
      if (BigInt(end) > 0n) this.pending.set(partition, BigInt(end));
    this.checkCaughtUp();
    this.subscription = await this.bus.subscribe({
      topic: BLACKLIST_TOPIC,
      groupId: this.groupId,
      fromBeginning: true,
      // The group is this agent's alone: after a broker outage it need not wait Kafka's default
      // 30 s for its own former member before it rejoins (or before the agent can stop).
      sessionTimeoutMs: 10_000,
      onBatch: async (batch) => {
        for (const record of batch.records) {
          const decoded = decodeEvent(record.value);
          if (decoded.ok && !('vm' in decoded.event)) {
            const event = decoded.event as BlacklistEvent;
            // The writers' rule, in the same evolve: a revision already taken is a lost race.
            if (!this.view.apply(event))
              this.log(
                `blacklist topic ${batch.partition}@${record.offset}: ${event.id} void, revision ${event.data.revision} was taken first`,
              );
          } else {
            this.rejected++;
            this.log(
              `blacklist topic ${batch.partition}@${record.offset}: ignored, ${decoded.ok ? `not a blacklist event (${decoded.event.type})` : decoded.reason}`,
            );
          }
        }
        const last = batch.records[batch.records.length - 1];
        const end = this.pending.get(batch.partition);
        if (last && end !== undefined && BigInt(last.offset) + 1n >= end)
          this.pending.delete(batch.partition);
        this.checkCaughtUp();
      },
    });
  }

  async stop(): Promise<void> {
    await this.subscription?.stop();
  }

  private checkCaughtUp(): void {
    if (this.caughtUp || this.pending.size > 0) return;
    this.caughtUp = true;
    this.caughtUpResolve?.();
  }
}
