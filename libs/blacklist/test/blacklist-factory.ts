import { createBlacklistStamper, type BlacklistEvent } from '@magicport/events';
import {
  decide,
  evolve,
  initialState,
  type BlacklistCommand,
  type BlacklistState,
} from '@magicport/blacklist';

/** Test factory: commands, and the events a given history of them produced. */

/** 2023-11-14T22:13:20Z */
export const T0 = 1_700_000_000_000_000;

export function writerStamper(dm = 'blacklist-writer') {
  let now = T0;
  return createBlacklistStamper({ host: 'ops-1', dm, clock: () => (now += 1_000_000) });
}

export const add = (
  product: string | number,
  build: number,
  reason = 'crashes on resume',
  actor = 'alice',
): BlacklistCommand => ({ kind: 'add', product, build, actor, reason });

export const remove = (
  product: string | number,
  build: number,
  reason = 'fixed in the next build',
  actor = 'bob',
): BlacklistCommand => ({ kind: 'remove', product, build, actor, reason });

/** Decides and applies each command in turn, as one writer would. */
export function given(commands: BlacklistCommand[]): {
  state: BlacklistState;
  events: BlacklistEvent[];
} {
  const stamper = writerStamper();
  let state = initialState();
  const events: BlacklistEvent[] = [];
  for (const command of commands) {
    const change = decide(command, state);
    const event = stamper.stamp(change.type, change.data);
    events.push(event);
    state = evolve(state, event);
  }
  return { state, events };
}
