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
    const printed = Object.fromEntries(
      [...stripVTControlCharacters(exit.stdout).matchAll(/│ (\w+)\s+│ ([\d,]+)\s+│/g)].map((m) => [
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
    } finally {
      await store.close();
    }
  });
});
