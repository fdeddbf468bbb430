/**
 * The REST API and CLI against a running server fed by the simulator through the real broker:
 * reports equal the simulator's manifest (two seeds), replay reproduces every recorded outcome,
 * the blacklist round trip, token checks, and hostile parameters.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import '../setup/provided-context';
import { buildCli, killLeftoverCli, randomSeed, runCli } from '../support/recorder';
import {
  allPages,
  api,
  simulate,
  startApiFixture,
  TOKENS,
  waitIngested,
  type ApiFixture,
  type FleetRun,
} from './api-fixture';

type Row = Record<string, unknown>;
const brokers = inject('kafkaBrokers');
let fixture: ApiFixture;
let url: string;
const runs: FleetRun[] = [];
const STARTS = ['2031-01-05T00:00:00Z', '2031-03-05T00:00:00Z'];
const dayAfter30 = (start: string) =>
  new Date(Date.parse(start) + 30 * 86_400_000).toISOString().slice(0, 10);

beforeAll(async () => {
  await buildCli();
  fixture = await startApiFixture(brokers);
  url = fixture.server.url;
  const base = Number(process.env.MAGICPORT_TEST_SEED) || randomSeed();
  for (const [i, start] of STARTS.entries()) runs.push(await simulate(brokers, base + i, start));
  for (const run of runs) await waitIngested(fixture, run);
}, 600_000);

afterAll(async () => {
  await killLeftoverCli();
  await fixture?.close();
});

function expectedBuilds(run: FleetRun) {
  return Object.values(run.manifest.productBuilds)
    .map((t) => ({
      product: t.product,
      productName: t.name,
      build: t.build,
      guests: t.guests,
      hosts: t.hosts,
      handshakes: t.handshakes,
    }))
    .sort((a, b) => a.product - b.product || a.build - b.build);
}

const pick = (r: Row) => ({
  product: r.product,
  productName: r.productName,
  build: r.build,
  guests: r.guests,
  hosts: r.hosts,
  handshakes: r.handshakes,
});

describe('fleet reports equal the simulator manifest', () => {
  it('fleet builds over each run (whole days: daily view; exact times: raw handshakes), paged', async () => {
    for (const run of runs) {
      const days = await allPages<Row>(
        url,
        `/api/v1/fleet/builds?from=${run.start.slice(0, 10)}&to=${dayAfter30(run.start)}`,
        5,
      );
      expect(days.map(pick), `seed ${run.seed}`).toEqual(expectedBuilds(run));
      const exact = await allPages<Row>(
        url,
        `/api/v1/fleet/builds?from=${run.start.replace('Z', '.000001Z').replace('T00:00:00.000001', 'T00:00:00')}&to=${dayAfter30(run.start)}T00:00:00.5Z`,
        1000,
      );
      expect(exact.map(pick)).toEqual(expectedBuilds(run));
      const listed = new Set(
        (await api<{ entries: Row[] }>(url, '/api/v1/blacklist')).body.entries.map((e) => e.key),
      );
      for (const b of days) {
        const key =
          b.productName === null
            ? null
            : `/mh/driver-blacklist/${b.productName as string}/${b.build as number}`;
        expect(b.blacklistedNow, `${key}`).toBe(key !== null && listed.has(key));
      }
      expect(days.some((b) => b.blacklistedNow)).toBe(true);
    }
  });

  it('unknown products are the manifest builds without a registry name', async () => {
    for (const run of runs) {
      const r = await api<{ items: Row[] }>(
        url,
        `/api/v1/fleet/unknown-products?from=${run.start.slice(0, 10)}&to=${dayAfter30(run.start)}`,
      );
      // The manifest lists product/build pairs; a driver that wrote an unknown product and no build is only in the report.
      const expected = new Map<number, number[]>();
      for (const t of Object.values(run.manifest.productBuilds))
        if (t.name === null)
          expected.set(
            t.product,
            [...(expected.get(t.product) ?? []), t.build].sort((a, b) => a - b),
          );
      const got = new Map(r.body.items.map((i) => [i.product as number, i.builds as number[]]));
      for (const [product, builds] of got)
        expect(builds, `seed ${run.seed} product ${product}`).toEqual(expected.get(product) ?? []);
      for (const product of expected.keys()) expect(got.has(product)).toBe(true);
    }
  });

  it('blacklist hits per key (every hit, paged) and the summary equal the manifest; ignoring drivers are called out', async () => {
    for (const run of runs) {
      const range = `from=${run.start.slice(0, 10)}&to=${dayAfter30(run.start)}`;
      const hits = await allPages<Row>(url, `/api/v1/blacklist/hits?${range}`, 50);
      const byKey: Record<
        string,
        { handshakes: number; guests: Set<unknown>; honoured: number; ignored: number }
      > = {};
      for (const h of hits) {
        const k = (byKey[h.key as string] ??= {
          handshakes: 0,
          guests: new Set(),
          honoured: 0,
          ignored: 0,
        });
        k.handshakes++;
        k.guests.add(h.vm);
        if (h.result === 'blacklisted') k.honoured++;
        else k.ignored++;
      }
      const got = Object.fromEntries(
        Object.entries(byKey).map(([k, v]) => [k, { ...v, guests: v.guests.size }]),
      );
      expect(got, `seed ${run.seed}`).toEqual(run.manifest.blacklistHits);
      // v2 outcomes carry the revision the agent answered from (null only where no lookup was made).
      expect(hits.filter((h) => typeof h.blacklistRevision === 'number').length).toBeGreaterThan(0);
      const summary = await api<{ builds: Row[]; ignoringDrivers: Row[]; days: Row[] }>(
        url,
        `/api/v1/blacklist/hits/summary?${range}`,
      );
      const total = (rows: Row[], f: string) => rows.reduce((s, r) => s + (r[f] as number), 0);
      const manifestTotal = (f: 'handshakes' | 'honoured' | 'ignored') =>
        Object.values(run.manifest.blacklistHits).reduce((s, h) => s + h[f], 0);
      expect(total(summary.body.builds, 'hits')).toBe(manifestTotal('handshakes'));
      expect(total(summary.body.days, 'hits')).toBe(manifestTotal('handshakes'));
      expect(total(summary.body.builds, 'ignored')).toBe(manifestTotal('ignored'));
      expect(total(summary.body.ignoringDrivers, 'ignored')).toBe(manifestTotal('ignored'));
      expect(summary.body.ignoringDrivers.every((d) => (d.ignored as number) > 0)).toBe(true);
    }
  });

  it('the CLI prints the same builds as JSON and as a table', async () => {
    const run = runs[0]!;
    const args = [
      'fleet',
      'builds',
      '--server',
      url,
      '--from',
      run.start.slice(0, 10),
      '--to',
      dayAfter30(run.start),
    ];
    const json = await runCli([...args, '--json'], 60_000);
    expect(json.code, json.stderr).toBe(0);
    expect((JSON.parse(json.stdout) as Row[]).map(pick)).toEqual(expectedBuilds(run));
    const tableOut = await runCli(args, 60_000);
    expect(tableOut.code).toBe(0);
    expect(tableOut.stdout).toContain('handshakes');
    for (const b of JSON.parse(json.stdout) as Row[])
      expect(tableOut.stdout).toContain(b.firstSeen as string);
  });
});

describe('guest logs', () => {
  it("a guest's lines carry their handshake; fleet search finds a line by any case of its text", async () => {
    const run = runs[0]!;
    const range = `from=${run.start.slice(0, 10)}&to=${dayAfter30(run.start)}`;
    const [line] = (
      await api<{ items: Row[] }>(
        url,
        `/api/v1/logs/search?q=${encodeURIComponent(' ')}&${range}&limit=1`,
      )
    ).body.items;
    expect(line).toBeDefined();
    const own = await allPages<Row>(url, `/api/v1/guests/${line!.vm as string}/logs?${range}`, 20);
    const same = own.find((l) => l.dm === line!.dm && l.seq === line!.seq)!;
    expect(same.text).toBe(line!.text);
    if (same.handshakeId !== null)
      expect(same.handshake).toMatchObject({ result: expect.any(String) });
    const found = await allPages<Row>(
      url,
      `/api/v1/logs/search?q=${encodeURIComponent((line!.text as string).toUpperCase())}&${range}`,
      500,
    );
    expect(found.some((l) => l.dm === line!.dm && l.seq === line!.seq)).toBe(true);
    for (const l of found)
      expect((l.text as string).toLowerCase()).toContain((line!.text as string).toLowerCase());
    // LIKE wildcards are literal: no simulated line holds "%_%".
    expect(
      (
        await api<{ items: Row[] }>(
          url,
          `/api/v1/logs/search?q=${encodeURIComponent('%_%')}&${range}`,
        )
      ).body.items,
    ).toEqual([]);
  });
});

describe('CLI over HTTP', () => {
  it('blacklist ls/history/hits, replay and logs print JSON equal to the API; tables for people', async () => {
    const list = await api<Row>(url, '/api/v1/blacklist');
    const ls = await runCli(['blacklist', 'ls', '--server', url, '--json'], 60_000);
    expect(ls.code, ls.stderr).toBe(0);
    expect(JSON.parse(ls.stdout)).toEqual(list.body);
    const table = await runCli(['blacklist', 'ls', '--server', url], 60_000);
    expect(table.stdout).toContain(`revision ${list.body.revision as number}`);

    const run = runs[0]!;
    const [hit] = (
      await api<{ items: Row[] }>(
        url,
        `/api/v1/blacklist/hits?from=${run.start.slice(0, 10)}&limit=1`,
      )
    ).body.items;
    const vm = hit!.vm as string;
    const replay = await runCli(
      ['replay', vm, '--boot', String(hit!.boot), '--server', url, '--json'],
      60_000,
    );
    expect(replay.code, replay.stderr).toBe(0);
    expect(JSON.parse(replay.stdout)).toMatchObject({ vm, boot: hit!.boot, matches: true });
    const upstream = await runCli(
      ['replay', vm, '--boot', String(hit!.boot), '--profile', 'qemu-upstream', '--server', url],
      60_000,
    );
    expect(upstream.code, upstream.stderr).toBe(0);
    expect(upstream.stdout).toMatch(/differences:/);
    expect(upstream.stdout).toContain('"field":"blacklisted"');

    const logs = await api<{ items: Row[] }>(url, `/api/v1/guests/${vm}/logs?limit=1000`);
    const cliLogs = await runCli(['logs', vm, '--server', url, '--json'], 60_000);
    expect(cliLogs.code, cliLogs.stderr).toBe(0);
    expect(JSON.parse(cliLogs.stdout)).toEqual(logs.body.items);
    const bad = await runCli(['logs', vm, '--grep', '(', '--server', url], 60_000);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^magicport: grep: not a valid RE2 regular expression/);
  });

  it('says how to start the server when none answers, with exit code 69; 401 without a token is exit 4', async () => {
    const down = await runCli(['fleet', 'builds', '--server', 'http://127.0.0.1:9'], 60_000);
    expect(down.code).toBe(69);
    expect(down.stderr).toMatch(
      /no magicport server answers at http:\/\/127\.0\.0\.1:9 .*magicport serve/,
    );
    const noToken = await runCli(
      ['blacklist', 'add', 'linux', '5', '--reason', 'x', '--server', url],
      60_000,
    );
    expect(noToken.code).toBe(4);
    expect(noToken.stderr).toMatch(/bearer token.*pass --token or set MAGICPORT_TOKEN/);
  });
});

describe('replay', () => {
  it.each([0, 1])(
    'replays every boot of every guest of run %i (its own seed) to its recorded outcomes',
    async (i) => {
      const run = runs[i]!;
      const guests = new Set<string>();
      const builds = await allPages<Row>(
        url,
        `/api/v1/fleet/builds?from=${run.start.slice(0, 10)}&to=${dayAfter30(run.start)}`,
        1000,
      );
      for (const b of builds) {
        for (const g of await allPages<Row>(
          url,
          `/api/v1/fleet/guests?product=${b.product}&build=${b.build}`,
          1000,
        ))
          guests.add(g.vm as string);
      }
      let replayed = 0;
      let handshakes = 0;
      for (const vm of guests) {
        const own = await allPages<Row>(url, `/api/v1/guests/${vm}/handshakes`, 1000);
        const boots = new Set(
          own
            .filter((h) => (h.endTime as string) >= run.start.slice(0, 10))
            .map((h) => h.boot as number),
        );
        for (const boot of boots) {
          const r = await api<Row & { recorded: Row[]; replayed: Row[] }>(
            url,
            `/api/v1/guests/${vm}/replay?boot=${boot}&timelineLimit=0`,
          );
          expect(r.status, JSON.stringify(r.body)).toBe(200);
          const context = {
            seed: run.seed,
            vm,
            boot,
            profile: r.body.profile,
            enforce: r.body.enforceBlacklist,
            blacklist: r.body.blacklist,
            recorded: r.body.recorded,
            replayed: r.body.replayed,
          };
          // Every boot replays exactly, a later boot on a qemu-traditional instance included
          // (the replay runs the instance's earlier boots first), and a log line interleaved
          // with other accesses (its bytes are recorded in place as port accesses).
          expect(r.body.differences, JSON.stringify(context)).toEqual([]);
          expect(r.body.matches).toBe(true);
          handshakes += r.body.recorded.length;
          replayed++;
        }
      }
      expect(replayed).toBeGreaterThan(100);
      expect(handshakes).toBeGreaterThan(replayed);
    },
  );
});

describe('blacklist over HTTP', () => {
  it('refuses writes without a token (401) and with a wrong one (401); nothing changes', async () => {
    const before = await api<{ revision: number }>(url, '/api/v1/blacklist');
    const body = JSON.stringify({ product: 'linux', build: 424242, reason: 'test' });
    const attempts = [
      await api(url, '/api/v1/blacklist', { method: 'POST', body }),
      await api(url, '/api/v1/blacklist', { method: 'POST', body, token: 'not-a-token' }),
      await api(url, '/api/v1/blacklist', {
        method: 'POST',
        body,
        headers: { authorization: 'Basic YTpi' },
      }),
      await api(url, '/api/v1/blacklist/linux/424242?reason=x', { method: 'DELETE' }),
      await api(url, '/api/v1/blacklist/import', {
        method: 'POST',
        body: JSON.stringify({ dump: '/mh/driver-blacklist/linux/5 = ""' }),
        token: 'wrong',
      }),
    ];
    for (const a of attempts) {
      expect(a.status).toBe(401);
      expect(a.type).toContain('application/problem+json');
      expect((a.body as Row).detail).toMatch(/token/);
    }
    const after = await api<{ revision: number }>(url, '/api/v1/blacklist');
    expect(after.body).toEqual(before.body);
  });

  it('round trip: add through the API, agents answer 0xd249 for that build, hits carry the revision; remove; history has both', async () => {
    const run = runs[0]!;
    const listed = new Set(
      (await api<{ entries: Row[] }>(url, '/api/v1/blacklist')).body.entries.map((e) => e.key),
    );
    // The registered build with the most guests that is not listed yet (products 1 and 2 are blacklistable on every profile but upstream).
    const candidates = Object.values(run.manifest.productBuilds).filter(
      (t) => t.name !== null && !listed.has(`/mh/driver-blacklist/${t.name}/${t.build}`),
    );
    candidates.sort(
      (a, b) =>
        Number([1, 2].includes(b.product)) - Number([1, 2].includes(a.product)) ||
        b.guests - a.guests,
    );
    const target = candidates[0]!;
    const impact = await api<Row>(
      url,
      `/api/v1/blacklist/impact?product=${target.name}&build=${target.build}`,
    );
    expect(impact.status).toBe(200);
    expect(impact.body.listed).toBe(false);
    expect(impact.body.guests).toBeGreaterThan(0);

    const added = await api<{ revision: number; change: Row }>(url, '/api/v1/blacklist', {
      method: 'POST',
      token: TOKENS.alice,
      body: JSON.stringify({
        product: target.name,
        build: target.build,
        reason: 'crashes on boot',
      }),
    });
    expect(added.status, JSON.stringify(added.body)).toBe(201);
    const revision = added.body.revision;
    expect(added.body.change).toMatchObject({
      action: 'added',
      actor: 'alice',
      reason: 'crashes on boot',
      revision,
    });

    const again = await runSeedAgain(run);
    const key = `/mh/driver-blacklist/${target.name}/${target.build}`;
    const hits = await allPages<Row>(
      url,
      `/api/v1/blacklist/hits?from=${again.start.slice(0, 10)}&to=${dayAfter30(again.start)}&revision=${revision}&product=${target.product}&build=${target.build}`,
      500,
    );
    expect(hits.length).toBeGreaterThan(0);
    for (const h of hits)
      expect(h).toMatchObject({
        key: expect.stringMatching(new RegExp(`^/mh/driver-blacklist/${target.name}/`)),
        blacklistRevision: revision,
      });
    expect(again.manifest.blacklistHits[key]?.handshakes ?? 0).toBeGreaterThan(0);

    // What-if replays of a hit: the list as of the revision before the add did not blacklist it.
    const hit = hits[0]!;
    const replayAt = (asOf: number) =>
      api<{ matches: boolean; differences: Row[]; blacklist: Row }>(
        url,
        `/api/v1/guests/${hit.vm as string}/replay?handshake=${encodeURIComponent(hit.handshakeId as string)}&blacklist=as-of&asOf=${asOf}&timelineLimit=0`,
      );
    const at = await replayAt(revision);
    expect(at.body.blacklist).toMatchObject({ mode: 'as-of', revision });
    expect(at.body.differences.filter((d) => d.field === 'blacklisted')).toEqual([]);
    const before = await replayAt(revision - 1);
    expect(before.body.matches).toBe(false);
    expect(before.body.differences).toContainEqual(
      expect.objectContaining({
        kind: 'outcome',
        field: 'blacklisted',
        recorded: true,
        replayed: false,
      }),
    );

    const removed = await api<{ revision: number; change: Row }>(
      url,
      `/api/v1/blacklist/${target.name}/${target.build}?reason=${encodeURIComponent('fixed in the next build')}`,
      { method: 'DELETE', token: TOKENS.bob },
    );
    expect(removed.status, JSON.stringify(removed.body)).toBe(200);
    expect(removed.body.revision).toBeGreaterThan(revision);
    const history = await api<{ changes: Row[] }>(url, '/api/v1/blacklist/history');
    const ours = history.body.changes.filter(
      (c) => c.key === key && (c.revision as number) >= revision,
    );
    expect(ours.map((c) => [c.action, c.actor, c.reason])).toEqual([
      ['added', 'alice', 'crashes on boot'],
      ['removed', 'bob', 'fixed in the next build'],
    ]);
    const removedAgain = await api<Row>(
      url,
      `/api/v1/blacklist/${target.name}/${target.build}?reason=x`,
      { method: 'DELETE', token: TOKENS.bob },
    );
    expect(removedAgain.status).toBe(409);
  });

  it('two concurrent adds get distinct revisions', async () => {
    const builds = [900001, 900002];
    const results = await Promise.all(
      builds.map((build, i) =>
        api<{ revision: number }>(url, '/api/v1/blacklist', {
          method: 'POST',
          token: i ? TOKENS.bob : TOKENS.alice,
          body: JSON.stringify({ product: 'gplpv-windows', build, reason: 'concurrency test' }),
        }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual([201, 201]);
    expect(new Set(results.map((r) => r.body.revision)).size).toBe(2);
    for (const build of builds) {
      const r = await api(url, `/api/v1/blacklist/gplpv-windows/${build}?reason=cleanup`, {
        method: 'DELETE',
        token: TOKENS.alice,
      });
      expect(r.status).toBe(200);
    }
  });
});

async function runSeedAgain(run: FleetRun): Promise<FleetRun> {
  // Another seed (a seed's dm ids would repeat) of the same fleet shape, in a time range of its own.
  const again = await simulate(brokers, run.seed + 1000, '2031-06-05T00:00:00Z', [
    '--no-blacklist',
  ]);
  await waitIngested(fixture, again);
  return again;
}

describe('guest log attribution', () => {
  it('shows each line its attribution; API and CLI include or exclude unattributed lines', async () => {
    const run = runs[0]!;
    const range = `from=${run.start.slice(0, 10)}&to=${dayAfter30(run.start)}`;
    const [line] = (
      await api<{ items: Row[] }>(
        url,
        `/api/v1/logs/search?q=${encodeURIComponent(' ')}&${range}&limit=1`,
      )
    ).body.items;
    const vm = line!.vm as string;
    const guestLines = await allPages<Row>(url, `/api/v1/guests/${vm}/logs?${range}`, 50);
    // The simulator's guests write only guest lines.
    expect(new Set(guestLines.map((l) => l.attribution))).toEqual(new Set(['guest']));
    // A qemu-dm log tap's line it could not attribute, for the same guest (as the tap would write it).
    const time = (line!.time as string).replace('T', ' ').replace('Z', '');
    const text = 'xen_platform: magicport-unattributed-line';
    await fixture.clickhouse.store.command(
      `INSERT INTO guest_logs (dm, seq, vm, domid, boot, host, time, text, bytes, truncated, trigger,
         dropped_before, throttled_ms, access_count, first_time, last_time, handshake_id,
         attribution, _topic, _partition, _offset)
       SELECT 'qemu-dm-tap', 1, {vm:UUID}, 1, {boot:UInt64}, {host:String},
         {time:DateTime64(6, 'UTC')}, {text:String}, {text:String}, false, NULL, 0, 0, 0,
         {time:DateTime64(6, 'UTC')}, {time:DateTime64(6, 'UTC')}, NULL, 'unattributed', 'test', 0, 0`,
      { vm, boot: line!.boot as number, host: line!.host as string, time, text },
    );
    try {
      const logsOf = (which: string) =>
        allPages<Row>(url, `/api/v1/guests/${vm}/logs?${range}&attribution=${which}`, 50);
      const all = await allPages<Row>(url, `/api/v1/guests/${vm}/logs?${range}`, 50);
      expect(all).toHaveLength(guestLines.length + 1);
      expect(
        all.filter((l) => l.attribution === 'unattributed').map((l) => [l.dm, l.text]),
      ).toEqual([['qemu-dm-tap', text]]);
      expect(await logsOf('all')).toEqual(all);
      expect(await logsOf('guest')).toEqual(guestLines);
      expect((await logsOf('unattributed')).map((l) => l.text)).toEqual([text]);
      const search = (which: string) =>
        allPages<Row>(
          url,
          `/api/v1/logs/search?q=magicport-unattributed&${range}&attribution=${which}`,
        );
      expect((await search('all')).map((l) => [l.vm, l.attribution])).toEqual([
        [vm, 'unattributed'],
      ]);
      expect(await search('guest')).toEqual([]);
      const bad = await api(url, `/api/v1/guests/${vm}/logs?attribution=qemu`);
      expect(bad.status).toBe(400);
      expect(bad.body).toMatchObject({ detail: expect.stringContaining('attribution') });

      const cli = await runCli(
        [
          'logs',
          vm,
          '--attribution',
          'unattributed',
          '--from',
          run.start.slice(0, 10),
          '--server',
          url,
          '--json',
        ],
        60_000,
      );
      expect(cli.code, cli.stderr).toBe(0);
      expect(JSON.parse(cli.stdout)).toEqual(await logsOf('unattributed'));
      const table = await runCli(
        [
          'logs',
          'search',
          'magicport-unattributed',
          '--from',
          run.start.slice(0, 10),
          '--to',
          dayAfter30(run.start),
          '--server',
          url,
        ],
        60_000,
      );
      expect(table.code, table.stderr).toBe(0);
      expect(table.stdout).toContain('unattributed');
      const guestOnly = await runCli(
        [
          'logs',
          'search',
          'magicport-unattributed',
          '--attribution',
          'guest',
          '--from',
          run.start.slice(0, 10),
          '--to',
          dayAfter30(run.start),
          '--server',
          url,
          '--json',
        ],
        60_000,
      );
      expect(JSON.parse(guestOnly.stdout)).toEqual([]);
      const wrong = await runCli(['logs', vm, '--attribution', 'qemu', '--server', url], 60_000);
      expect(wrong.code).not.toBe(0);
      expect(wrong.stderr).toContain("'qemu' is invalid");
    } finally {
      await fixture.clickhouse.store.command(
        "DELETE FROM guest_logs WHERE dm = 'qemu-dm-tap' AND vm = {vm:UUID}",
        { vm },
      );
    }
  });
});
