import { describe, expect, it } from 'vitest';
import type { GuestEvent, HandshakeOutcomeData } from '@magicport/events';
import { DeviceModelRecorder, type RecorderOptions } from '../src/recorder';

/** handshake.outcome v2 carries the revision of the blacklist view each lookup answered from. */

const VM = '6f1c2b1e-3c4d-4e5f-8a9b-0c1d2e3f4a5b';
const T0 = Date.UTC(2026, 0, 1) * 1000;
const LINUX_1 = '/mh/driver-blacklist/linux/1';

/** A blacklist view stand-in whose revision the test moves. */
function view(listed: string[]) {
  const state = { revision: 0, lookups: 0 };
  return {
    state,
    blacklist: (key: string) => {
      state.lookups++;
      return listed.includes(key);
    },
    blacklistRevision: () => state.revision,
  };
}

function recorder(options: Partial<RecorderOptions>) {
  const events: GuestEvent[] = [];
  const r = new DeviceModelRecorder(
    {
      host: 'host-1',
      dm: 'host-1.dm-1',
      vm: VM,
      domid: 7,
      profile: 'spec',
      enforceBlacklist: false,
      blacklist: () => false,
      idleGapMs: 5_000,
      logByteAccesses: false,
      source: 'simulated',
      ...options,
    },
    (e) => events.push(e),
  );
  const outcomes = () =>
    events
      .filter((e) => e.type === 'handshake.outcome')
      .map((e) => e.data as HandshakeOutcomeData)
      .map((d) => [d.handshakeId, d.result, d.blacklistRevision]);
  return { r, outcomes };
}

/** Linux's handshake up to the build write (the lookup), then the re-check and a mask. */
function upToBuild(r: DeviceModelRecorder, t: number, build = 1): void {
  r.access('in', 0x10, 2, undefined, t);
  r.access('in', 0x12, 1, undefined, t + 1);
  r.access('out', 0x12, 2, 3, t + 2);
  r.access('out', 0x10, 4, build, t + 3);
}
function recheckAndMask(r: DeviceModelRecorder, t: number): void {
  r.access('in', 0x10, 2, undefined, t);
  r.access('out', 0x10, 2, 3, t + 1);
}

describe('blacklistRevision in handshake outcomes', () => {
  it('is the revision the lookup at the build write answered from, not the one at close', () => {
    const v = view([LINUX_1]);
    const { r, outcomes } = recorder(v);
    v.state.revision = 3;
    upToBuild(r, T0);
    v.state.revision = 4; // the view moves on before the re-check
    recheckAndMask(r, T0 + 10);
    r.stop('guest-shutdown', T0 + 100);
    expect(outcomes()).toEqual([['host-1.dm-1#1', 'blacklist-ignored', 3]]);
    expect(v.state.lookups).toBe(1);
  });

  it('a not-blacklisted answer has its revision too', () => {
    const v = view([]);
    const { r, outcomes } = recorder(v);
    v.state.revision = 7;
    upToBuild(r, T0);
    recheckAndMask(r, T0 + 10);
    r.stop('guest-shutdown', T0 + 100);
    expect(outcomes()).toEqual([['host-1.dm-1#1', 'unplugged', 7]]);
  });

  it('is null for a handshake that made no lookup, and for a recorder given no revision', () => {
    const v = view([LINUX_1]);
    const { r, outcomes } = recorder(v);
    v.state.revision = 2;
    r.access('in', 0x10, 2, undefined, T0); // magic read, then the guest gives up
    r.stop('guest-shutdown', T0 + 100);
    expect(outcomes()).toEqual([['host-1.dm-1#1', 'abandoned', null]]);

    const plain = recorder({ blacklist: v.blacklist });
    upToBuild(plain.r, T0);
    recheckAndMask(plain.r, T0 + 10);
    plain.r.stop('guest-shutdown', T0 + 100);
    expect(plain.outcomes()).toEqual([['host-1.dm-1#1', 'blacklist-ignored', null]]);
  });

  it('a lookup in the access that closes the previous handshake (idle gap) belongs to the next one', () => {
    const v = view([LINUX_1]);
    const { r, outcomes } = recorder(v);
    v.state.revision = 1;
    upToBuild(r, T0);
    recheckAndMask(r, T0 + 10);
    v.state.revision = 2;
    // Long after: a build write (the product is still set) looks up, then closes the idle one.
    r.access('out', 0x10, 4, 1, T0 + 60_000_000);
    recheckAndMask(r, T0 + 60_000_010);
    r.stop('guest-shutdown', T0 + 60_000_100);
    expect(v.state.lookups).toBe(2);
    expect(outcomes()).toEqual([
      ['host-1.dm-1#1', 'blacklist-ignored', 1],
      ['host-1.dm-1#2', 'blacklist-ignored', 2],
    ]);
  });

  it('is null for accesses another device model answered (a tap), even with a view given', () => {
    const v = view([LINUX_1]);
    const { r, outcomes } = recorder(v);
    v.state.revision = 5;
    r.observe('in', 0x10, 2, undefined, 0x49d2, T0);
    r.observe('in', 0x12, 1, undefined, 1, T0 + 1);
    r.observe('out', 0x12, 2, 3, undefined, T0 + 2);
    r.observe('out', 0x10, 4, 1, undefined, T0 + 3);
    r.observe('in', 0x10, 2, undefined, 0xd249, T0 + 4);
    r.stop('guest-shutdown', T0 + 100);
    expect(outcomes()).toEqual([['host-1.dm-1#1', 'blacklisted', null]]);
    expect(v.state.lookups).toBe(1); // the profile's model did look up; its answer was not used
  });
});
