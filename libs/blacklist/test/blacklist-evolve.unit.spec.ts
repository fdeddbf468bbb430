import { describe, expect, it } from 'vitest';
import {
  BlacklistHistory,
  BlacklistView,
  applies,
  decide,
  evolve,
  initialState,
} from '@magicport/blacklist';
import { add, given, remove, writerStamper } from './blacklist-factory';

describe('blacklist evolve: the first event with a revision wins', () => {
  it('folds adds and removes into the current list', () => {
    const { state } = given([add('linux', 1), add('gplpv-windows', 1), remove('linux', 1)]);
    expect(state.revision).toBe(3);
    expect([...state.entries.values()]).toEqual([
      {
        product: 'gplpv-windows',
        build: 1,
        key: '/mh/driver-blacklist/gplpv-windows/1',
        addedBy: 'alice',
        reason: 'crashes on resume',
        revision: 2,
        addedAt: '2023-11-14T22:13:22.000000Z',
      },
    ]);
  });

  it('nothing happens for a second event with a revision already taken (a lost race)', () => {
    const base = given([add('linux', 1)]).state;
    // Two writers both read revision 1 and propose revision 2.
    const a = writerStamper('writer-a').stamp(
      'blacklist.entry.added',
      decide(add('gplpv-windows', 5), base).data,
    );
    const b = writerStamper('writer-b').stamp(
      'blacklist.entry.added',
      decide(add('experimental', 9), base).data,
    );
    expect([a.data.revision, b.data.revision]).toEqual([2, 2]);
    const afterA = evolve(base, a);
    expect(applies(afterA, b)).toBe(false);
    expect(evolve(afterA, b)).toBe(afterA);
    expect([...afterA.entries.keys()]).toEqual([
      '/mh/driver-blacklist/linux/1',
      '/mh/driver-blacklist/gplpv-windows/5',
    ]);
    // The order decides, the same way for every reader: b first makes a the void one.
    const afterB = evolve(evolve(base, b), a);
    expect([...afterB.entries.keys()]).toEqual([
      '/mh/driver-blacklist/linux/1',
      '/mh/driver-blacklist/experimental/9',
    ]);
  });

  it('an event past a gap (one a reader could not decode) still applies', () => {
    const { events } = given([add('linux', 1), add('linux', 2), add('linux', 3)]);
    const state = [events[0]!, events[2]!].reduce(evolve, initialState());
    expect(state.revision).toBe(3);
    expect([...state.entries.keys()]).toEqual([
      '/mh/driver-blacklist/linux/1',
      '/mh/driver-blacklist/linux/3',
    ]);
  });

  it('the agents view uses the same rule and counts what it voided', () => {
    const { events } = given([add('xensource-windows', 1234), add('linux', 1)]);
    const view = new BlacklistView();
    expect(view.lookup('/mh/driver-blacklist/xensource-windows/1234')).toBe(false);
    expect(events.map((e) => view.apply(e))).toEqual([true, true]);
    expect(view.apply(events[1]!)).toBe(false);
    expect([view.revision, view.voided]).toEqual([2, 1]);
    expect(view.lookup('/mh/driver-blacklist/xensource-windows/1234')).toBe(true);
    expect(view.entries.map((e) => [e.key, e.addedBy, e.revision])).toEqual([
      ['/mh/driver-blacklist/xensource-windows/1234', 'alice', 1],
      ['/mh/driver-blacklist/linux/1', 'alice', 2],
    ]);
  });
});

describe('blacklist history', () => {
  const { events } = given([
    add('linux', 1, 'boot loop'),
    add('gplpv-windows', 7, 'BSOD'),
    remove('linux', 1, 'fixed'),
    add(0xffff, 590080, 'bad build', 'carol'),
  ]);

  it('lists every applied change: who, when, why, revision', () => {
    const history = BlacklistHistory.of(events);
    expect(
      history.changes.map((c) => [c.revision, c.action, c.key, c.actor, c.reason, c.time]),
    ).toEqual([
      [
        1,
        'added',
        '/mh/driver-blacklist/linux/1',
        'alice',
        'boot loop',
        '2023-11-14T22:13:21.000000Z',
      ],
      [
        2,
        'added',
        '/mh/driver-blacklist/gplpv-windows/7',
        'alice',
        'BSOD',
        '2023-11-14T22:13:22.000000Z',
      ],
      [3, 'removed', '/mh/driver-blacklist/linux/1', 'bob', 'fixed', '2023-11-14T22:13:23.000000Z'],
      [
        4,
        'added',
        '/mh/driver-blacklist/experimental/590080',
        'carol',
        'bad build',
        '2023-11-14T22:13:24.000000Z',
      ],
    ]);
    expect(history.changes[0]!.eventId).toBe('blacklist-writer:0');
  });

  it('answers the list as of any past revision', () => {
    const history = BlacklistHistory.of(events);
    const keysAt = (revision: number) => [...history.asOf(revision).entries.keys()];
    expect(keysAt(0)).toEqual([]);
    expect(keysAt(2)).toEqual([
      '/mh/driver-blacklist/linux/1',
      '/mh/driver-blacklist/gplpv-windows/7',
    ]);
    expect(keysAt(3)).toEqual(['/mh/driver-blacklist/gplpv-windows/7']);
    expect(keysAt(4)).toEqual([...history.current.entries.keys()]);
    expect(history.asOf(3).revision).toBe(3);
    expect(() => history.asOf(5)).toThrow(
      'revision must be an integer from 0 to 4 (the current one), got 5',
    );
    expect(() => history.asOf(-1)).toThrow(RangeError);
  });

  it('keeps void duplicates apart from the changes', () => {
    const duplicate = { ...events[1]!, id: 'other-writer:0', dm: 'other-writer', seq: 0 };
    const history = BlacklistHistory.of([events[0]!, events[1]!, duplicate, events[2]!]);
    expect(history.voided.map((e) => e.id)).toEqual(['other-writer:0']);
    expect(history.changes.map((c) => c.revision)).toEqual([1, 2, 3]);
    expect(history.appliedEvent('other-writer:0')).toBeUndefined();
    expect(history.appliedEvent(events[1]!.id)).toBe(events[1]);
  });
});
