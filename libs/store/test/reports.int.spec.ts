import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_API_QUERY_LIMITS as L,
  blacklistHitSummary,
  blacklistHits,
  bootRecording,
  emulatedGuests,
  fleetBuilds,
  guestHandshakes,
  guestLogs,
  guestsOnBuild,
  migrate,
  rebuildViews,
  rollout,
  unknownProducts,
  viewDifferences,
  type ClickHouseStore,
} from '@magicport/store';
import { openTestClickHouse, type TestClickHouse } from '../../../test/support/clickhouse';
import { DAY1, DAY2, at, fleetEvents, iso, loadEvents, vm } from './report-fleet';
import { guestStamper, logData } from './store-samples';

// The one set of report queries (src/reports), the ones the REST API serves, against the
// hand-built fleet of report-fleet.ts whose answers are worked out there by hand.
let ch: TestClickHouse;
let store: ClickHouseStore;
const DAYS = { from: '2026-03-01 00:00:00.000000', to: '2026-03-03 00:00:00.000000' };
const TIMES = DAYS;

beforeAll(async () => {
  ch = await openTestClickHouse();
  store = ch.store;
  await migrate(store);
  await loadEvents(store, fleetEvents(), 'fleet');
});

afterAll(async () => {
  await ch?.close();
});

describe('fleet reports', () => {
  it('fleet builds: distinct guests, hosts, handshakes, first and last seen per build', async () => {
    const expected = [
      {
        product: 1,
        productName: 'xensource-windows',
        build: 590080,
        guests: 1,
        hosts: 1,
        handshakes: 1,
        firstSeen: iso(at(DAY2, 4)),
        lastSeen: iso(at(DAY2, 4)),
      },
      {
        product: 3,
        productName: 'linux',
        build: 1,
        guests: 3,
        hosts: 2,
        handshakes: 3,
        firstSeen: iso(at(DAY1, 1) + 50),
        lastSeen: iso(at(DAY1, 9)),
      },
      {
        product: 3,
        productName: 'linux',
        build: 2,
        guests: 1,
        hosts: 1,
        handshakes: 1,
        firstSeen: iso(at(DAY2, 2)),
        lastSeen: iso(at(DAY2, 2)),
      },
      {
        product: 0x1234,
        productName: null,
        build: 7,
        guests: 1,
        hosts: 1,
        handshakes: 1,
        firstSeen: iso(at(DAY2, 7)),
        lastSeen: iso(at(DAY2, 7)),
      },
    ];
    // Whole days read the daily view; any other range the raw handshakes: the same answer.
    expect(await fleetBuilds(store, { ...DAYS, limit: 100 }, L)).toEqual(expected);
    const raw = { from: '2026-03-01 00:00:00.000001', to: '2026-03-03 00:00:00.000000' };
    expect(await fleetBuilds(store, { ...raw, limit: 100 }, L)).toEqual(expected);
    const page = await fleetBuilds(
      store,
      { ...DAYS, limit: 2, after: { product: 3, build: 1 } },
      L,
    );
    expect(page.map((b) => [b.product, b.build])).toEqual([
      [3, 2],
      [0x1234, 7],
    ]);
  });

  it('fleet builds of one host, and of one day', async () => {
    const hostA = await fleetBuilds(store, { ...DAYS, host: 'host-a', limit: 100 }, L);
    expect(hostA.map((b) => [b.product, b.build, b.guests, b.hosts, b.handshakes])).toEqual([
      [3, 1, 2, 1, 2],
      [3, 2, 1, 1, 1],
    ]);
    const day1 = await fleetBuilds(
      store,
      { from: DAYS.from, to: '2026-03-02 00:00:00.000000', limit: 100 },
      L,
    );
    expect(day1.map((b) => [b.product, b.build, b.guests])).toEqual([[3, 1, 3]]);
  });

  it('rollout: a build share of the guests that handshook each day', async () => {
    const days = { fromDay: '2026-03-01', toDay: '2026-03-03' };
    expect(await rollout(store, { ...days, product: 3 }, L)).toEqual([
      { day: '2026-03-01', build: 1, guests: 3, fleetGuests: 3 },
      { day: '2026-03-02', build: 2, guests: 1, fleetGuests: 3 },
    ]);
    expect(await rollout(store, { ...days, product: 3, build: 2 }, L)).toEqual([
      { day: '2026-03-02', build: 2, guests: 1, fleetGuests: 3 },
    ]);
  });

  it('guests on a build now (latest handshake), a page at a time', async () => {
    const first = await guestsOnBuild(store, { product: 3, build: 1, limit: 1 }, L);
    expect(first).toEqual([
      {
        vm: vm(2),
        host: 'host-b',
        boot: 1,
        lastSeen: iso(at(DAY1, 3)),
        handshakeId: 'dm-7:1',
        result: 'blacklisted',
        product: 3,
        productName: 'linux',
        build: 1,
        blacklisted: true,
        blacklistRevision: 5,
        unplugApplied: false,
        violations: [],
      },
    ]);
    const second = await guestsOnBuild(
      store,
      { product: 3, build: 1, limit: 2, afterVm: first[0]!.vm },
      L,
    );
    expect(second.map((g) => [g.vm, g.result])).toEqual([[vm(6), 'unplugged']]);
    // g1 moved on to build 2.
    const build2 = await guestsOnBuild(store, { product: 3, build: 2, limit: 10 }, L);
    expect(build2.map((g) => g.vm)).toEqual([vm(1)]);
  });

  it('guests still on emulated devices, and why', async () => {
    const rows = await emulatedGuests(store, { limit: 100 }, L);
    // g3 ignored the blacklist but its unplug was applied: it runs on PV devices now.
    expect(rows.map((g) => [g.vm, g.host, g.reason])).toEqual([
      [vm(2), 'host-b', 'blacklisted'],
      [vm(4), 'host-a', 'no-pv-driver'],
      [vm(5), 'host-c', 'no-unplug'],
    ]);
    expect(rows[1]!.latest).toBeNull();
    expect(rows[2]!.latest).toMatchObject({
      product: 0x1234,
      build: 7,
      lastSeen: iso(at(DAY2, 7)),
    });
    const paged = await emulatedGuests(store, { limit: 2 }, L);
    const rest = await emulatedGuests(store, { limit: 2, afterVm: paged.at(-1)!.vm }, L);
    expect([...paged, ...rest].map((g) => g.vm)).toEqual(rows.map((g) => g.vm));
  });

  it('unknown product numbers', async () => {
    expect(await unknownProducts(store, DAYS, L)).toEqual([
      {
        product: 0x1234,
        builds: [7],
        guests: 1,
        hosts: 1,
        handshakes: 1,
        firstSeen: iso(at(DAY2, 7)),
        lastSeen: iso(at(DAY2, 7)),
      },
    ]);
  });
});

describe('blacklist reports', () => {
  it('hits with their revision, filters and pages', async () => {
    const all = await blacklistHits(store, { ...TIMES, limit: 100 }, L);
    expect(all).toEqual([
      {
        time: iso(at(DAY1, 3)),
        vm: vm(2),
        host: 'host-b',
        dm: 'dm-g2',
        seq: 1,
        boot: 1,
        handshakeId: 'dm-7:1',
        product: 3,
        productName: 'linux',
        build: 1,
        key: '/mh/driver-blacklist/linux/1',
        result: 'blacklisted',
        unplugApplied: false,
        blacklistRevision: 5,
      },
      {
        time: iso(at(DAY2, 4)),
        vm: vm(3),
        host: 'host-b',
        dm: 'dm-g3',
        seq: 1,
        boot: 1,
        handshakeId: all[1]!.handshakeId,
        product: 1,
        productName: 'xensource-windows',
        build: 590080,
        key: '/mh/driver-blacklist/xensource-windows/590080',
        result: 'blacklist-ignored',
        unplugApplied: true,
        blacklistRevision: null,
      },
    ]);
    const q = { ...TIMES, limit: 100 };
    const ignored = await blacklistHits(store, { ...q, result: 'blacklist-ignored' }, L);
    expect(ignored.map((h) => h.vm)).toEqual([vm(3)]);
    expect(await blacklistHits(store, { ...q, product: 3, build: 1 }, L)).toHaveLength(1);
    expect(await blacklistHits(store, { ...q, revision: 5 }, L)).toHaveLength(1);
    expect(await blacklistHits(store, { ...q, host: 'host-a' }, L)).toEqual([]);
    expect(await blacklistHits(store, { ...q, vm: vm(3) }, L)).toHaveLength(1);
    const page1 = await blacklistHits(store, { ...TIMES, limit: 1 }, L);
    const { time, dm, seq } = page1[0]!;
    const after = { time: time.replace('T', ' ').replace('Z', ''), dm, seq };
    const page2 = await blacklistHits(store, { ...TIMES, limit: 1, after }, L);
    expect([page1[0]!.vm, page2.map((h) => h.vm)]).toEqual([vm(2), [vm(3)]]);
  });

  it('summary by day and build, and the drivers that ignore the blacklist', async () => {
    const summary = await blacklistHitSummary(
      store,
      { fromDay: '2026-03-01', toDay: '2026-03-03' },
      L,
    );
    const linux = { product: 3, productName: 'linux', build: 1 };
    const linuxCounts = { hits: 1, honoured: 1, ignored: 0, unplugApplied: 0, guests: 1, hosts: 1 };
    const windows = { product: 1, productName: 'xensource-windows', build: 590080 };
    const windowsCounts = {
      hits: 1,
      honoured: 0,
      ignored: 1,
      unplugApplied: 1,
      guests: 1,
      hosts: 1,
    };
    expect(summary).toEqual({
      days: [
        { day: '2026-03-01', ...linux, ...linuxCounts },
        { day: '2026-03-02', ...windows, ...windowsCounts },
      ],
      builds: [
        { ...windows, ...windowsCounts },
        { ...linux, ...linuxCounts },
      ],
      ignoringDrivers: [{ ...windows, ...windowsCounts }],
    });
  });
});

describe('replay and logs', () => {
  it("a guest's handshakes, all boots or one", async () => {
    const all = await guestHandshakes(store, { vm: vm(1), limit: 100 }, L);
    expect(all.map((h) => [h.boot, h.handshakeId, h.build, h.endTime])).toEqual([
      [1, 'dm-g1:1', 1, iso(at(DAY1, 1) + 50)],
      [2, 'dm-g1:9', 2, iso(at(DAY2, 2))],
    ]);
    expect(all[0]).toMatchObject({
      vm: vm(1),
      host: 'host-a',
      boot: 1,
      dm: 'dm-g1',
      seq: 5,
      handshakeId: 'dm-g1:1',
      result: 'unplugged',
      protocolVersion: 1,
      product: { number: 3, name: 'linux' },
      build: 1,
      blacklisted: false,
      blacklistKey: null,
      blacklistRevision: null,
      mask: 3,
      maskWrites: [1, 2],
      unplug: { ideScsiDisks: true, nics: true, auxIdeDisks: false, nvmeDisks: false },
      unplugApplied: true,
      violations: [],
      startTime: iso(at(DAY1, 1) - 50),
      endTime: iso(at(DAY1, 1) + 50),
      accessCount: 6,
    });
    const boot2 = await guestHandshakes(store, { vm: vm(1), boot: 2, limit: 100 }, L);
    expect(boot2.map((h) => h.seq)).toEqual([8]);
  });

  it("one boot's accesses and log lines in recorded order", async () => {
    const rec = await bootRecording(store, { vm: vm(1), boot: 1, dm: 'dm-g1' }, L);
    expect(rec.accesses.map((a) => a.seq)).toEqual([1, 3, 4]);
    expect(rec.logLines.map((l) => l.seq)).toEqual([2, 6]);
    expect(rec.accesses[0]).toEqual({
      boot: 1,
      seq: 1,
      t: at(DAY1, 1) + 10,
      op: 'in',
      port: 0x10,
      size: 2,
      value: null,
      response: 0x49d2,
    });
    const last = rec.logLines[1]!;
    expect([...last.bytes]).toEqual([0x62, 0x79, 0x65, 0xff]);
    expect(last).toMatchObject({
      trigger: 10,
      accessCount: 5,
      firstUs: at(DAY1, 1) + 51,
      lastUs: at(DAY1, 1) + 59,
    });
    expect(await bootRecording(store, { vm: vm(1), boot: 2, dm: 'dm-g1' }, L)).toEqual({
      accesses: [],
      logLines: [],
    });
  });

  it("a guest's log lines with their handshake", async () => {
    const lines = await guestLogs(store, { vm: vm(1), limit: 100 }, L);
    expect(lines).toEqual([
      {
        time: iso(at(DAY1, 1) + 20),
        vm: vm(1),
        host: 'host-a',
        boot: 1,
        dm: 'dm-g1',
        seq: 2,
        text: 'Xen PV: INIT ok',
        truncated: false,
        droppedBefore: 0,
        throttledMs: 0,
        handshakeId: 'dm-g1:1',
        attribution: 'guest',
      },
      {
        time: iso(at(DAY1, 1) + 60),
        vm: vm(1),
        host: 'host-a',
        boot: 1,
        dm: 'dm-g1',
        seq: 6,
        text: 'bye\ufffd',
        truncated: false,
        droppedBefore: 4,
        throttledMs: 12.5,
        handshakeId: null,
        attribution: 'guest',
      },
    ]);
    const first = await guestLogs(store, { vm: vm(1), limit: 1 }, L);
    const after = { time: first[0]!.time.replace('T', ' ').replace('Z', ''), dm: 'dm-g1', seq: 2 };
    const second = await guestLogs(store, { vm: vm(1), limit: 1, after }, L);
    expect([first[0]!.seq, second.map((l) => l.seq)]).toEqual([2, [6]]);
  });

  it('searches log text across the fleet, case-insensitively, in a time range', async () => {
    const search = (contains: string, range = TIMES) =>
      guestLogs(store, { ...range, contains, limit: 100 }, L);
    expect((await search('init')).map((l) => [l.vm, l.seq, l.text])).toEqual([
      [vm(1), 2, 'Xen PV: INIT ok'],
    ]);
    const day2 = { from: '2026-03-02 00:00:00.000000', to: '2026-03-03 00:00:00.000000' };
    expect(await search('init', day2)).toEqual([]);
    expect(await search("' OR 1=1 --")).toEqual([]);
    // LIKE wildcards in the needle are literal: without escaping '%' and '_' match every line.
    expect(await search('%')).toEqual([]);
    expect(await search('xen_pv')).toEqual([]);
    expect((await search('pv: in')).map((l) => l.seq)).toEqual([2]);
  });

  it('log search skips granules by the ngram index', async () => {
    const plan = await store.query<{ explain: string }>(
      `EXPLAIN indexes = 1 SELECT count() FROM guest_logs
       WHERE lowerUTF8(text) LIKE concat('%', lowerUTF8({pattern:String}), '%')`,
      { pattern: 'INIT' },
    );
    expect(plan.map((r) => r.explain.trim())).toContain('Name: text_ngrams');
  });

  it('answers hostile strings with an empty result, not a ClickHouse error', async () => {
    const hostile = [
      "'",
      '\\',
      "\\'",
      '\0',
      'a\0b',
      "'); DROP TABLE handshakes; --",
      '{x:String}',
      '\u{1F600}',
      'é'.repeat(255),
    ];
    for (const text of hostile) {
      expect(await guestLogs(store, { ...TIMES, contains: text, limit: 10 }, L)).toEqual([]);
      expect(await blacklistHits(store, { ...TIMES, host: text, limit: 10 }, L)).toEqual([]);
      expect(await fleetBuilds(store, { ...DAYS, host: text, limit: 10 }, L)).toEqual([]);
    }
    expect(await blacklistHits(store, { ...TIMES, limit: 10 }, L)).toHaveLength(2);
  });
});

describe('guest log attribution', () => {
  it('reads back guest and unattributed lines, and filters by attribution', async () => {
    // A qemu-dm log tap's lines on a guest of its own: one attributed, one not, one without the
    // field (an event from before the tap marked lines: a guest line).
    const tap = guestStamper({ vm: vm(7), dm: 'dm-g7', host: 'host-d', start: at(DAY2, 8) });
    const line = (text: string, attribution?: 'guest' | 'unattributed') =>
      tap.stamp('guest.log', logData(Buffer.from(text), attribution ? { attribution } : {}));
    await loadEvents(
      store,
      [line('Xen PV: hello', 'guest'), line('Using xen platform', 'unattributed'), line('plain')],
      'attribution',
    );
    const all = await guestLogs(store, { vm: vm(7), limit: 10 }, L);
    expect(all.map((l) => [l.seq, l.text, l.attribution])).toEqual([
      [0, 'Xen PV: hello', 'guest'],
      [1, 'Using xen platform', 'unattributed'],
      [2, 'plain', 'guest'],
    ]);
    const only = (attribution: 'guest' | 'unattributed') =>
      guestLogs(store, { vm: vm(7), attribution, limit: 10 }, L).then((r) => r.map((l) => l.seq));
    expect(await only('guest')).toEqual([0, 2]);
    expect(await only('unattributed')).toEqual([1]);
    const search = await guestLogs(
      store,
      { ...DAYS, contains: 'xen', attribution: 'unattributed', limit: 10 },
      L,
    );
    expect(search.map((l) => [l.vm, l.seq])).toEqual([[vm(7), 1]]);
    await store.command('DELETE FROM guest_logs WHERE vm = {vm:UUID}', { vm: vm(7) });
  });
});

describe('views', () => {
  it('equal a recomputation from the raw tables; rebuild restores a damaged one', async () => {
    expect(await viewDifferences(store)).toEqual([]);
    await store.command('TRUNCATE TABLE latest_handshakes');
    await store.command(
      `INSERT INTO driver_builds_daily SELECT toDate('2026-03-01'), 9, 9, 'host-x', 'x',
         uniqExactState(toUUID('${vm(9)}')), 1, now64(6), now64(6)`,
    );
    await store.command(
      `INSERT INTO fleet_builds_daily SELECT toDate('2026-03-02'), 3, 2, 'linux',
         uniqExactState(toUUID('${vm(9)}')), uniqExactState('host-x'), 1, now64(6), now64(6)`,
    );
    expect(await viewDifferences(store)).toEqual([
      { view: 'driver_builds_daily_mv', target: 'driver_builds_daily', missing: 0, extra: 1 },
      // The merged row of (day 2, linux 2) differs: the recorded one is missing, a wrong one extra.
      { view: 'fleet_builds_daily_mv', target: 'fleet_builds_daily', missing: 1, extra: 1 },
      { view: 'latest_handshakes_mv', target: 'latest_handshakes', missing: 5, extra: 0 },
    ]);
    // The fleet-wide view is what fleet builds read without a host: the damage shows there.
    const damaged = await fleetBuilds(store, { ...DAYS, product: 3, build: 2, limit: 10 }, L);
    expect(damaged.map((b) => [b.guests, b.hosts, b.handshakes])).toEqual([[2, 2, 2]]);
    const progress: string[] = [];
    await rebuildViews(store, (done, total, what) => progress.push(`${done}/${total} ${what}`));
    expect(progress).toEqual([
      '0/8 recomputing driver_builds_daily',
      '1/8 swapping in driver_builds_daily',
      '2/8 rebuilt driver_builds_daily',
      '2/8 recomputing fleet_builds_daily',
      '3/8 swapping in fleet_builds_daily',
      '4/8 rebuilt fleet_builds_daily',
      '4/8 recomputing latest_handshakes',
      '5/8 swapping in latest_handshakes',
      '6/8 rebuilt latest_handshakes',
      '6/8 recomputing blacklist_hits_daily',
      '7/8 swapping in blacklist_hits_daily',
      '8/8 rebuilt blacklist_hits_daily',
    ]);
    expect(await viewDifferences(store)).toEqual([]);
    const repaired = await fleetBuilds(store, { ...DAYS, product: 3, build: 2, limit: 10 }, L);
    expect(repaired.map((b) => [b.guests, b.hosts, b.handshakes])).toEqual([[1, 1, 1]]);
    const build2 = await guestsOnBuild(store, { product: 3, build: 2, limit: 10 }, L);
    expect(build2.map((g) => g.vm)).toEqual([vm(1)]);
    // The views write the new tables after the swap.
    await loadEvents(
      store,
      fleetEvents().filter((e) => e.type === 'handshake.outcome' && e.vm === vm(5)),
      'again',
    );
    expect((await fleetBuilds(store, { ...DAYS, limit: 100 }, L)).at(-1)).toMatchObject({
      product: 0x1234,
      handshakes: 2,
    });
    expect(await viewDifferences(store)).toEqual([]);
  });
});
