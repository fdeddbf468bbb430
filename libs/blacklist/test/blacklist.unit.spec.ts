import { describe, expect, it } from 'vitest';
import { createBlacklistStamper, type BlacklistEvent } from '@magicport/events';
import {
  BlacklistView,
  decide,
  evolve,
  initialState,
  type BlacklistCommand,
  type BlacklistState,
} from '@magicport/blacklist';

const stamper = () =>
  createBlacklistStamper({
    host: 'ops-1',
    dm: 'blacklist-writer',
    clock: () => 1_700_000_000_000_000,
  });

function given(commands: BlacklistCommand[]): { state: BlacklistState; events: BlacklistEvent[] } {
  const s = stamper();
  let state = initialState();
  const events: BlacklistEvent[] = [];
  for (const command of commands) {
    const change = decide(command, state);
    const event = s.stamp(change.type, change.data) as BlacklistEvent;
    events.push(event);
    state = evolve(state, event);
  }
  return { state, events };
}

const add = (product: string, build: number, reason = 'crashes on resume'): BlacklistCommand => ({
  kind: 'add',
  product,
  build,
  actor: 'alice',
  reason,
});
const remove = (product: string, build: number): BlacklistCommand => ({
  kind: 'remove',
  product,
  build,
  actor: 'bob',
  reason: 'fixed',
});

describe('blacklist decide/evolve', () => {
  it('adds an entry at the next revision under its xenstore key', () => {
    const { state, events } = given([add('experimental', 590080)]);
    expect(events.map((e) => [e.type, e.data])).toEqual([
      [
        'blacklist.entry.added',
        {
          product: 'experimental',
          build: 590080,
          key: '/mh/driver-blacklist/experimental/590080',
          actor: 'alice',
          reason: 'crashes on resume',
          revision: 1,
        },
      ],
    ]);
    expect(state.revision).toBe(1);
    expect([...state.entries.keys()]).toEqual(['/mh/driver-blacklist/experimental/590080']);
  });

  it('removes an entry and keeps counting revisions', () => {
    const { state, events } = given([add('linux', 1), add('gplpv-windows', 1), remove('linux', 1)]);
    expect(events.map((e) => [e.type, e.data.revision, e.data.actor])).toEqual([
      ['blacklist.entry.added', 1, 'alice'],
      ['blacklist.entry.added', 2, 'alice'],
      ['blacklist.entry.removed', 3, 'bob'],
    ]);
    expect(state.revision).toBe(3);
    expect([...state.entries.keys()]).toEqual(['/mh/driver-blacklist/gplpv-windows/1']);
  });

  it.each([
    [
      [add('linux', 1), add('linux', 1)],
      'already-listed',
      '/mh/driver-blacklist/linux/1 is already blacklisted',
    ],
    [[remove('linux', 7)], 'not-listed', '/mh/driver-blacklist/linux/7 is not blacklisted'],
    [
      [add('windows', 1)],
      'unknown-product',
      'unknown product "windows": the device model only looks up xensource-windows, gplpv-windows, linux, xenserver-windows-v7.0+, xenserver-windows-v7.2+, experimental',
    ],
    [
      [add('linux', -1)],
      'invalid-build',
      'build must be an integer from 0 to 4294967295 (the 4-byte build number), got -1',
    ],
    [
      [add('linux', 2 ** 32)],
      'invalid-build',
      'build must be an integer from 0 to 4294967295 (the 4-byte build number), got 4294967296',
    ],
    [
      [{ ...add('linux', 1), actor: ' ' }],
      'missing-actor',
      'a blacklist change must name its actor',
    ],
  ] as Array<[BlacklistCommand[], string, string]>)(
    'refuses %j with %s',
    (commands, code, message) => {
      expect(() => given(commands)).toThrow(expect.objectContaining({ code, message }));
    },
  );

  it('serves lookups from a view folded from the events', () => {
    const { events } = given([add('xensource-windows', 1234), add('linux', 1), remove('linux', 1)]);
    const view = new BlacklistView();
    expect(view.lookup('/mh/driver-blacklist/xensource-windows/1234')).toBe(false);
    for (const e of events) view.apply(e);
    expect(view.revision).toBe(3);
    expect(view.lookup('/mh/driver-blacklist/xensource-windows/1234')).toBe(true);
    expect(view.lookup('/mh/driver-blacklist/linux/1')).toBe(false);
    expect(view.entries.map((e) => [e.key, e.addedBy, e.revision])).toEqual([
      ['/mh/driver-blacklist/xensource-windows/1234', 'alice', 1],
    ]);
  });
});
