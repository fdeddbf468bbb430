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

/** The current blacklist, folded from its change events. */
export interface BlacklistState {
  revision: number;
  entries: ReadonlyMap<string, BlacklistEntry>;
}

export function initialState(): BlacklistState {
  return { revision: 0, entries: new Map() };
}

/** Applies one change. Events are facts: an add of a listed key or a remove of an absent one still moves the revision. */
export function evolve(state: BlacklistState, event: BlacklistEvent): BlacklistState {
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
  return { revision: Math.max(state.revision, data.revision), entries };
}

/**
 * A live view for the hot path: `lookup` answers the device model's xenstore read of
 * `/mh/driver-blacklist/{product}/{build}` without allocating.
 */
export class BlacklistView {
  private state = initialState();
  readonly lookup = (key: string): boolean => this.state.entries.has(key);

  apply(event: BlacklistEvent): void {
    this.state = evolve(this.state, event);
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
