import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  migrate,
  rebuildViews,
  reports,
  viewDifferences,
  type ClickHouseStore,
} from '@magicport/store';
import { openTestClickHouse, type TestClickHouse } from '../../../test/support/clickhouse';
import { DAY1, DAY2, at, fleetEvents, iso, loadEvents, vm } from './report-fleet';

const {
  ReportInputError,
  blacklistHistory,
  blacklistHitSummary,
  blacklistHits,
  blacklistIgnoringDrivers,
  bootEvents,
  buildRollout,
  emulatedGuests,
  fleetBuilds,
  guestHandshakes,
  guestLogs,
  guestsOnBuild,
  searchLogs,
  unknownProducts,
} = reports;

let ch: TestClickHouse;
let store: ClickHouseStore;
const DAYS = { from: '2026-03-01', to: '2026-03-03' };
const TIMES = { from: '2026-03-01T00:00:00Z', to: '2026-03-03T00:00:00Z' };

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
    expect(await fleetBuilds(store, DAYS)).toEqual([
      {
        productNumber: 1,
        productName: 'xensource-windows',
        build: 590080,
        guests: 1,
        hosts: 1,
        handshakes: 1,
        firstSeen: iso(at(DAY2, 4)),
        lastSeen: iso(at(DAY2, 4)),
      },
      {
        productNumber: 3,
        productName: 'linux',
        build: 1,
        guests: 3,
        hosts: 2,
        handshakes: 3,
        firstSeen: iso(at(DAY1, 1) + 50),
        lastSeen: iso(at(DAY1, 9)),
      },
      {
        productNumber: 3,
        productName: 'linux',
        build: 2,
        guests: 1,
        hosts: 1,
        handshakes: 1,
        firstSeen: iso(at(DAY2, 2)),
        lastSeen: iso(at(DAY2, 2)),
      },
      {
        productNumber: 0x1234,
        productName: null,
        build: 7,
        guests: 1,
        hosts: 1,
        handshakes: 1,
        firstSeen: iso(at(DAY2, 7)),
        lastSeen: iso(at(DAY2, 7)),
      },
    ]);
  });

  it('fleet builds of one host, and of one day', async () => {
    const hostA = await fleetBuilds(store, { ...DAYS, host: 'host-a' });
    expect(hostA.map((b) => [b.productNumber, b.build, b.guests, b.hosts, b.handshakes])).toEqual([
      [3, 1, 2, 1, 2],
      [3, 2, 1, 1, 1],
    ]);
    const day1 = await fleetBuilds(store, { from: '2026-03-01', to: '2026-03-02' });
    expect(day1.map((b) => [b.productNumber, b.build, b.guests])).toEqual([[3, 1, 3]]);
  });

  it('rollout: a build share of the guests that handshook each day', async () => {
    expect(await buildRollout(store, { productNumber: 3, build: 2, ...DAYS })).toEqual([
      { day: '2026-03-01', guestsOnBuild: 0, guestsTotal: 3, share: 0 },
      { day: '2026-03-02', guestsOnBuild: 1, guestsTotal: 3, share: 1 / 3 },
    ]);
    expect(await buildRollout(store, { productNumber: 3, build: 1, ...DAYS })).toEqual([
      { day: '2026-03-01', guestsOnBuild: 3, guestsTotal: 3, share: 1 },
      { day: '2026-03-02', guestsOnBuild: 0, guestsTotal: 3, share: 0 },
    ]);
  });

  it('guests on a build now (latest handshake), a page at a time', async () => {
    const first = await guestsOnBuild(store, { productNumber: 3, build: 1, limit: 1 });
    expect(first.rows).toEqual([
      {
        vm: vm(2),
        host: 'host-b',
        domid: 12,
        boot: 1,
        dm: 'dm-g2',
        seq: 1,
        handshakeId: 'dm-7:1',
        result: 'blacklisted',
        productNumber: 3,
        productName: 'linux',
        build: 1,
        blacklisted: true,
        blacklistRevision: 5,
        unplugApplied: false,
        violations: [],
        endTime: iso(at(DAY1, 3)),
      },
    ]);
    expect(first.nextCursor).not.toBeNull();
    const second = await guestsOnBuild(store, {
      productNumber: 3,
      build: 1,
      limit: 1,
      cursor: first.nextCursor!,
    });
    expect(second.rows.map((g) => [g.vm, g.result])).toEqual([[vm(6), 'unplugged']]);
    expect(second.nextCursor).toBeNull();
    // g1 moved on to build 2.
    const build2 = await guestsOnBuild(store, { productNumber: 3, build: 2 });
    expect(build2.rows.map((g) => g.vm)).toEqual([vm(1)]);
  });

  it('guests still on emulated devices, and why', async () => {
    const page = await emulatedGuests(store);
    expect(page.nextCursor).toBeNull();
    expect(page.rows.map((g) => [g.vm, g.host, g.reason, g.startedAt])).toEqual([
      [vm(2), 'host-b', 'blacklisted', iso(at(DAY1, 2))],
      [vm(3), 'host-b', 'violations', iso(at(DAY2, 3))],
      [vm(4), 'host-a', 'no-handshake', iso(at(DAY2, 5))],
      [vm(5), 'host-c', 'no-unplug', iso(at(DAY2, 6))],
    ]);
    expect(page.rows[1]!.handshake).toEqual({
      result: 'blacklist-ignored',
      productNumber: 1,
      productName: 'xensource-windows',
      build: 590080,
      unplugApplied: true,
      violations: ['mask-while-blacklisted'],
      endTime: iso(at(DAY2, 4)),
    });
    expect(page.rows[2]!.handshake).toBeNull();
    const paged = await emulatedGuests(store, { limit: 3 });
    const rest = await emulatedGuests(store, { limit: 3, cursor: paged.nextCursor! });
    expect([...paged.rows, ...rest.rows].map((g) => g.vm)).toEqual(page.rows.map((g) => g.vm));
  });

  it('unknown product numbers', async () => {
    expect(await unknownProducts(store, DAYS)).toEqual([
      {
        productNumber: 0x1234,
        builds: 1,
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
    const all = await blacklistHits(store, TIMES);
    expect(all).toEqual({
      nextCursor: null,
      rows: [
        {
          time: iso(at(DAY1, 3)),
          vm: vm(2),
          host: 'host-b',
          dm: 'dm-g2',
          seq: 1,
          boot: 1,
          productNumber: 3,
          productName: 'linux',
          build: 1,
          blacklistKey: '/mh/driver-blacklist/linux/1',
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
          productNumber: 1,
          productName: 'xensource-windows',
          build: 590080,
          blacklistKey: '/mh/driver-blacklist/xensource-windows/590080',
          result: 'blacklist-ignored',
          unplugApplied: true,
          blacklistRevision: null,
        },
      ],
    });
    const ignored = await blacklistHits(store, { ...TIMES, result: 'blacklist-ignored' });
    expect(ignored.rows.map((h) => h.vm)).toEqual([vm(3)]);
    expect(
      (await blacklistHits(store, { ...TIMES, productNumber: 3, build: 1 })).rows,
    ).toHaveLength(1);
    expect((await blacklistHits(store, { ...TIMES, host: 'host-a' })).rows).toEqual([]);
    expect((await blacklistHits(store, { ...TIMES, vm: vm(3) })).rows).toHaveLength(1);
    const page1 = await blacklistHits(store, { ...TIMES, limit: 1 });
    const page2 = await blacklistHits(store, { ...TIMES, limit: 1, cursor: page1.nextCursor! });
    expect([page1.rows[0]!.vm, page2.rows[0]!.vm, page2.nextCursor]).toEqual([vm(2), vm(3), null]);
  });

  it('summary by day and build, and the drivers that ignore the blacklist', async () => {
    expect(await blacklistHitSummary(store, DAYS)).toEqual([
      {
        day: '2026-03-01',
        productNumber: 3,
        productName: 'linux',
        build: 1,
        result: 'blacklisted',
        hits: 1,
        unplugApplied: 0,
        guests: 1,
        hosts: 1,
      },
      {
        day: '2026-03-02',
        productNumber: 1,
        productName: 'xensource-windows',
        build: 590080,
        result: 'blacklist-ignored',
        hits: 1,
        unplugApplied: 1,
        guests: 1,
        hosts: 1,
      },
    ]);
    expect(await blacklistIgnoringDrivers(store, DAYS)).toEqual([
      {
        productNumber: 1,
        productName: 'xensource-windows',
        build: 590080,
        hits: 1,
        unplugApplied: 1,
        guests: 1,
        hosts: 1,
      },
    ]);
  });

  it('changes history by revision', async () => {
    const first = await blacklistHistory(store, { limit: 2 });
    expect(first.rows.map((c) => [c.revision, c.change, c.product, c.build, c.actor])).toEqual([
      [1, 'added', 'linux', 1, 'alice'],
      [2, 'added', 'xensource-windows', 590080, 'bob'],
    ]);
    const rest = await blacklistHistory(store, { limit: 2, cursor: first.nextCursor! });
    expect(rest).toEqual({
      nextCursor: null,
      rows: [
        {
          revision: 3,
          change: 'removed',
          product: 'xensource-windows',
          build: 590080,
          key: '/mh/driver-blacklist/xensource-windows/590080',
          actor: 'alice',
          reason: 'fixed',
          time: '2026-03-01T12:00:03.000000Z',
          dm: 'blacklist',
          seq: 2,
        },
      ],
    });
  });
});

describe('replay and logs', () => {
  it("a guest's handshakes, all boots or one", async () => {
    const all = await guestHandshakes(store, { vm: vm(1) });
    expect(all.map((h) => [h.boot, h.handshakeId, h.build, h.endTime])).toEqual([
      [1, 'dm-g1:1', 1, iso(at(DAY1, 1) + 50)],
      [2, 'dm-g1:9', 2, iso(at(DAY2, 2))],
    ]);
    expect(all[0]).toEqual({
      vm: vm(1),
      host: 'host-a',
      domid: 12,
      boot: 1,
      dm: 'dm-g1',
      seq: 5,
      time: iso(at(DAY1, 1) + 50),
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
    expect((await guestHandshakes(store, { vm: vm(1), boot: 2 })).map((h) => h.seq)).toEqual([8]);
  });

  it("one boot's accesses and log lines in recorded order", async () => {
    const events = await bootEvents(store, { vm: vm(1), boot: 1 });
    expect(events.map((e) => [e.kind, e.seq])).toEqual([
      ['port.access', 1],
      ['guest.log', 2],
      ['port.access', 3],
      ['port.access', 4],
      ['guest.log', 6],
    ]);
    expect(events[0]).toEqual({
      kind: 'port.access',
      dm: 'dm-g1',
      seq: 1,
      time: iso(at(DAY1, 1) + 10),
      op: 'in',
      port: 0x10,
      size: 2,
      value: null,
      response: 0x49d2,
    });
    const last = events[4]!;
    expect(last.kind === 'guest.log' && [...last.bytes]).toEqual([0x62, 0x79, 0x65, 0xff]);
    expect(last).toMatchObject({
      text: 'bye\ufffd',
      truncated: false,
      trigger: 10,
      droppedBefore: 4,
      throttledMs: 12.5,
      accessCount: 5,
      firstTime: iso(at(DAY1, 1) + 51),
      lastTime: iso(at(DAY1, 1) + 59),
      handshakeId: null,
    });
    expect(await bootEvents(store, { vm: vm(1), boot: 2 })).toEqual([]);
  });

  it("a guest's log lines with their handshake", async () => {
    const page = await guestLogs(store, { vm: vm(1) });
    expect(page.nextCursor).toBeNull();
    expect(
      page.rows.map(({ bytes, ...line }) => ({ ...line, bytes: bytes.toString('latin1') })),
    ).toEqual([
      {
        time: iso(at(DAY1, 1) + 20),
        host: 'host-a',
        boot: 1,
        dm: 'dm-g1',
        seq: 2,
        text: 'Xen PV: INIT ok',
        bytes: 'Xen PV: INIT ok',
        truncated: false,
        droppedBefore: 0,
        throttledMs: 0,
        handshake: { id: 'dm-g1:1', result: 'unplugged', productName: 'linux', build: 1 },
      },
      {
        time: iso(at(DAY1, 1) + 60),
        host: 'host-a',
        boot: 1,
        dm: 'dm-g1',
        seq: 6,
        text: 'bye\ufffd',
        bytes: 'bye\u00ff',
        truncated: false,
        droppedBefore: 4,
        throttledMs: 12.5,
        handshake: null,
      },
    ]);
    const first = await guestLogs(store, { vm: vm(1), limit: 1 });
    const second = await guestLogs(store, { vm: vm(1), limit: 1, cursor: first.nextCursor! });
    expect([first.rows[0]!.seq, second.rows[0]!.seq, second.nextCursor]).toEqual([2, 6, null]);
    const late = await guestLogs(store, { vm: vm(1), from: iso(at(DAY1, 1) + 21) });
    expect(late.rows.map((l) => l.seq)).toEqual([6]);
  });

  it('searches log text across the fleet, case-insensitively, in a time range', async () => {
    expect(await searchLogs(store, { ...TIMES, text: 'init' })).toEqual({
      nextCursor: null,
      rows: [
        {
          time: iso(at(DAY1, 1) + 20),
          vm: vm(1),
          host: 'host-a',
          boot: 1,
          dm: 'dm-g1',
          seq: 2,
          text: 'Xen PV: INIT ok',
        },
      ],
    });
    expect(
      (await searchLogs(store, { text: 'init', from: '2026-03-02', to: '2026-03-03' })).rows,
    ).toEqual([]);
    expect((await searchLogs(store, { ...TIMES, text: "' OR 1=1 --" })).rows).toEqual([]);
    // LIKE wildcards in the needle are literal: without escaping '%' and '_' match every line.
    expect((await searchLogs(store, { ...TIMES, text: '%' })).rows).toEqual([]);
    expect((await searchLogs(store, { ...TIMES, text: 'xen_pv' })).rows).toEqual([]);
    expect((await searchLogs(store, { ...TIMES, text: 'pv: in' })).rows.map((h) => h.seq)).toEqual([
      2,
    ]);
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
      expect((await searchLogs(store, { ...TIMES, text })).rows).toEqual([]);
      expect((await blacklistHits(store, { ...TIMES, host: text })).rows).toEqual([]);
      expect(await fleetBuilds(store, { ...DAYS, host: text })).toEqual([]);
    }
    expect((await blacklistHits(store, TIMES)).rows).toHaveLength(2);
    await expect(searchLogs(store, { ...TIMES, text: 'x'.repeat(257) })).rejects.toThrow(
      new ReportInputError('text', 'expected 1 to 256 characters'),
    );
  });

  it('refuses bad parameters with a ReportInputError naming them', async () => {
    await expect(fleetBuilds(store, { from: '2026-02-30', to: '2026-03-01' })).rejects.toThrow(
      new ReportInputError('from', 'expected a UTC day like 2026-03-01'),
    );
    await expect(guestHandshakes(store, { vm: "x' OR 1" })).rejects.toBeInstanceOf(
      ReportInputError,
    );
    await expect(
      guestsOnBuild(store, { productNumber: 3, build: 1, cursor: 'garbage!' }),
    ).rejects.toThrow('cursor: not a cursor this API returned');
    const other = (await blacklistHistory(store, { limit: 1 })).nextCursor!;
    await expect(
      guestsOnBuild(store, { productNumber: 3, build: 1, cursor: other }),
    ).rejects.toThrow('cursor: not a cursor of guests-on-build');
    await expect(blacklistHits(store, { ...TIMES, limit: 0 })).rejects.toThrow('limit:');
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
    expect(await viewDifferences(store)).toEqual([
      { view: 'driver_builds_daily_mv', target: 'driver_builds_daily', missing: 0, extra: 1 },
      { view: 'latest_handshakes_mv', target: 'latest_handshakes', missing: 5, extra: 0 },
    ]);
    const progress: string[] = [];
    await rebuildViews(store, (done, total, what) => progress.push(`${done}/${total} ${what}`));
    expect(progress).toEqual([
      '0/6 recomputing driver_builds_daily',
      '1/6 swapping in driver_builds_daily',
      '2/6 rebuilt driver_builds_daily',
      '2/6 recomputing latest_handshakes',
      '3/6 swapping in latest_handshakes',
      '4/6 rebuilt latest_handshakes',
      '4/6 recomputing blacklist_hits_daily',
      '5/6 swapping in blacklist_hits_daily',
      '6/6 rebuilt blacklist_hits_daily',
    ]);
    expect(await viewDifferences(store)).toEqual([]);
    expect(
      (await guestsOnBuild(store, { productNumber: 3, build: 2 })).rows.map((g) => g.vm),
    ).toEqual([vm(1)]);
    // The views write the new tables after the swap.
    await loadEvents(
      store,
      fleetEvents().filter((e) => e.type === 'handshake.outcome' && e.vm === vm(5)),
      'again',
    );
    expect((await fleetBuilds(store, DAYS)).at(-1)).toMatchObject({
      productNumber: 0x1234,
      handshakes: 2,
    });
    expect(await viewDifferences(store)).toEqual([]);
  });
});
