import type { BlacklistEvent } from '@magicport/events';

export interface BlacklistEntry {
  product: string;
  build: number;
  /** `/mh/driver-blacklist/{product}/{build}` */
  key: string;
  addedBy: string;
  reason: string;
  /** The blacklist revision that added it. */
  revision: number;
  addedAt: string;
}

/** The blacklist at one revision, folded from its change events. */
export interface BlacklistState {
  revision: number;
  entries: ReadonlyMap<string, BlacklistEntry>;
}

export function initialState(): BlacklistState {
  return { revision: 0, entries: new Map() };
}

/**
 * Whether `event` takes effect on `state`: the first event on the (single-partition) topic with
 * a given revision wins; one whose revision is not above the state's is a void duplicate, the
 * losing side of a race between two writers (see BlacklistWriter). Writers always propose the
 * revision after the one they read, so a winner is exactly `state.revision + 1`; a higher one
 * is accepted too, so an event a reader cannot decode (dead-lettered) leaves a gap, not a stall.
 */
export function applies(state: BlacklistState, event: BlacklistEvent): boolean {
  return event.data.revision > state.revision;
}

/**
 * Applies one change, or returns `state` itself for a void one (see `applies`). Applied events
 * are facts: an add of a listed key or a remove of an absent one still moves the revision.
 */
export function evolve(state: BlacklistState, event: BlacklistEvent): BlacklistState {
  if (!applies(state, event)) return state;
  const entries = new Map(state.entries);
  const { data } = event;
  switch (event.type) {
    case 'blacklist.entry.added':
      entries.set(data.key, {
        product: data.product,
        build: data.build,
        key: data.key,
        addedBy: data.actor,
        reason: data.reason,
        revision: data.revision,
        addedAt: event.time,
      });
      break;
    case 'blacklist.entry.removed':
      entries.delete(data.key);
      break;
    default: {
      const unknown: never = event;
      throw new Error(`unhandled blacklist event ${JSON.stringify(unknown)}`);
    }
  }
  return { revision: data.revision, entries };
}

/**
 * A live view for the hot path: `lookup` answers the device model's xenstore read of
 * `/mh/driver-blacklist/{product}/{build}` without allocating.
 */
export class BlacklistView {
  private state = initialState();
  /** Events that lost a revision race (see `applies`), seen but not applied. */
  voided = 0;
  readonly lookup = (key: string): boolean => this.state.entries.has(key);

  /** Applies the next event of the topic; false when it was void. */
  apply(event: BlacklistEvent): boolean {
    const next = evolve(this.state, event);
    if (next === this.state) {
      this.voided++;
      return false;
    }
    this.state = next;
    return true;
  }

  get revision(): number {
    return this.state.revision;
  }

  get entries(): BlacklistEntry[] {
    return [...this.state.entries.values()];
  }

  get current(): BlacklistState {
    return this.state;
  }
}
