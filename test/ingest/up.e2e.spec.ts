/**
 * `magicport up --exit-when-ingested`: the embedded mode end to end in one process (in-process
 * bus, embedded chDB, simulated fleet): what it says it ingested is what the tables hold.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '@magicport/store';
import { buildCli, runCli } from '../support/recorder';

let dir: string;
beforeAll(async () => {
  await buildCli();
  dir = await mkdtemp(join(tmpdir(), 'magicport-up-'));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('magicport up', () => {
  it('records a fleet through the in-process bus into embedded ClickHouse and prints what it holds', async () => {
    const path = join(dir, 'ch');
    const args = ['up', '--guests', '120', '--seed', '7', '--port', '0', '--clickhouse-path', path];
    const exit = await runCli([...args, '--exit-when-ingested'], 120_000);
    expect(exit.code, exit.stderr).toBe(0);
    expect(exit.stdout).toMatch(/^magicport is up: http:\/\/127\.0\.0\.1:\d+ /);
    // Into a pipe: no colour escapes (the summary table is for a person only at a terminal).
    expect(exit.stdout).not.toContain('\x1b[');
    const events = Number(
      /([\d,]+) events recorded and ingested/.exec(exit.stdout)?.[1]?.replace(/,/g, ''),
    );
    const out = stripVTControlCharacters(exit.stdout);
    const [counts, answers] = out.split('\nFleet driver builds: ');
    const [buildsPart, rest] = answers!.split('\nBlacklist hits by build: ');
    const [hitsPart, replayPart] = rest!.split('\nReplay: ');
    const cells = (part: string) =>
      part
        .split('\n')
        .filter((l) => l.startsWith('│') && !/│ driver build /.test(l))
        .map((l) =>
          l
            .split('│')
            .slice(1, -1)
            .map((c) => c.trim())
            .map((c) => (/^[\d,]+$/.test(c) ? Number(c.replace(/,/g, '')) : c)),
        );
    const printed = Object.fromEntries(
      [...counts!.matchAll(/│ (\w+)\s+│ ([\d,]+)\s+│/g)].map((m) => [
        m[1],
        Number(m[2]!.replace(/,/g, '')),
      ]),
    );
    const store = await openStore({ mode: 'embedded', path, database: 'magicport' });
    try {
      const rows: Record<string, number> = {};
      for (const table of [
        'dm_instances',
        'port_accesses',
        'handshakes',
        'guest_logs',
        'blacklist_changes',
      ]) {
        const [row] = await store.query<{ n: string }>(`SELECT count() AS n FROM ${table}`);
        rows[table] = Number(row!.n);
      }
      expect(printed).toEqual(rows);
      expect(rows.dm_instances).toBe(240);
      expect(rows.blacklist_changes).toBeGreaterThan(0);
      const guestRows =
        rows.dm_instances! + rows.port_accesses! + rows.handshakes! + rows.guest_logs!;
      expect(guestRows).toBe(events);

      // The three questions, answered from the same tables.
      const name = `multiIf(product_number IS NULL, '(no product)',
        concat(ifNull(product_name, concat('#', toString(product_number))), ' ', ifNull(toString(build), '?')))`;
      const builds = await store.query<Record<string, string>>(
        `SELECT ${name} AS b, uniqExact(vm) AS g, uniqExact(host) AS h, count() AS n
         FROM handshakes WHERE product_number IS NOT NULL AND build IS NOT NULL
         GROUP BY product_number, product_name, build ORDER BY g DESC, product_number, build`,
      );
      expect(buildsPart).toMatch(
        new RegExp(`^${builds.length} builds; the ${Math.min(10, builds.length)} on most guests:`),
      );
      expect(cells(buildsPart!)).toEqual(
        builds.slice(0, 10).map((r) => [r.b, Number(r.g), Number(r.h), Number(r.n)]),
      );
      const hits = await store.query<Record<string, string>>(
        `SELECT ${name} AS b, countIf(result = 'blacklisted') AS honoured,
           countIf(result = 'blacklist-ignored') AS ignored, uniqExact(vm) AS g
         FROM handshakes WHERE result IN ('blacklisted', 'blacklist-ignored')
         GROUP BY product_number, product_name, build ORDER BY product_number, build`,
      );
      expect(hits.length).toBeGreaterThan(0);
      expect(hitsPart).toMatch(new RegExp(`^${hits.length} builds hit the blacklist:`));
      expect(cells(hitsPart!)).toEqual(
        hits.map((r) => [r.b, Number(r.honoured), Number(r.ignored), Number(r.g)]),
      );
      // What the replay says is counted over every handshake the tables hold, and every one
      // replays to its recorded outcome (a later boot on a qemu-traditional instance included:
      // the replay runs the instance's earlier boots first).
      const replay =
        /^([\d,]+) handshakes replayed, ([\d,]+) match the recorded outcome(?:\.|; ([\d,]+) differ \(([\d,]+) only in their violations list\), e\.g\. npx magicport replay (\S+) --boot (\d+))\n\nRun it without --exit-when-ingested to keep serving, then try:\n {2}npx magicport fleet builds\n {2}npx magicport blacklist hits\n {2}npx magicport replay VM\n$/.exec(
          replayPart!,
        );
      expect(replay, replayPart).not.toBeNull();
      const [total, matching, differing] = replay!
        .slice(1, 4)
        .map((v) => Number((v ?? '0').replace(/,/g, '')));
      expect(total).toBe(rows.handshakes);
      expect(differing, replayPart).toBe(0);
      expect(matching).toBe(total);
    } finally {
      await store.close();
    }
  });
});
