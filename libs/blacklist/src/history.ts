import type { BlacklistEvent } from '@magicport/events';
import { evolve, initialState, type BlacklistState } from './view';

/** One applied change: who, when, why, at which revision. */
export interface BlacklistChangeRecord {
  revision: number;
  action: 'added' | 'removed';
  product: string;
  build: number;
  key: string;
  actor: string;
  reason: string;
  /** Event time (UTC, microseconds). */
  time: string;
  /** The event id `{writer stream}:{seq}`. */
  eventId: string;
}

/**
 * The whole blacklist folded from its topic, in topic order, with the same `evolve` the agents
 * use: the current list, every applied change, the void duplicates, and the list as of any
 * past revision (for replay what-ifs). Blacklists change by hand, so everything is kept.
 */
export class BlacklistHistory {
  private state = initialState();
  private readonly applied: BlacklistEvent[] = [];
  private readonly voidEvents: BlacklistEvent[] = [];

  static of(events: Iterable<BlacklistEvent>): BlacklistHistory {
    const history = new BlacklistHistory();
    for (const event of events) history.apply(event);
    return history;
  }

  /** Folds the next event of the topic; false when it was void (lost its revision race). */
  apply(event: BlacklistEvent): boolean {
    const next = evolve(this.state, event);
    if (next === this.state) {
      this.voidEvents.push(event);
      return false;
    }
    this.state = next;
    this.applied.push(event);
    return true;
  }

  get current(): BlacklistState {
    return this.state;
  }

  get revision(): number {
    return this.state.revision;
  }

  /** Applied changes, oldest first. */
  get changes(): BlacklistChangeRecord[] {
    return this.applied.map(changeRecord);
  }

  /** Events that lost a revision race: on the topic, never applied. */
  get voided(): readonly BlacklistEvent[] {
    return this.voidEvents;
  }

  /** The applied event with this id, if any (how a writer learns whether its append won). */
  appliedEvent(id: string): BlacklistEvent | undefined {
    return this.applied.find((e) => e.id === id);
  }

  /**
   * The blacklist as it was at `revision`: every change up to and including it. 0 is the empty
   * list; a revision past the current one is refused (it does not exist yet).
   */
  asOf(revision: number): BlacklistState {
    if (!Number.isSafeInteger(revision) || revision < 0 || revision > this.state.revision) {
      throw new RangeError(
        `revision must be an integer from 0 to ${this.state.revision} (the current one), got ${revision}`,
      );
    }
    let state = initialState();
    for (const event of this.applied) {
      if (event.data.revision > revision) break;
      state = evolve(state, event);
    }
    return state;
  }
}

function changeRecord(event: BlacklistEvent): BlacklistChangeRecord {
  const { data } = event;
  return {
    revision: data.revision,
    action: event.type === 'blacklist.entry.added' ? 'added' : 'removed',
    product: data.product,
    build: data.build,
    key: data.key,
    actor: data.actor,
    reason: data.reason,
    time: event.time,
    eventId: event.id,
  };
}
