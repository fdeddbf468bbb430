import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadMigrations, openStore, type EmbeddedStoreConfig } from '@magicport/store';

const root = join(__dirname, '..', '..', '..');
const cli = join(root, 'apps', 'cli', 'dist', 'main.js');
const FILES = loadMigrations().map((f) => f.name);

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

let dir: string;
let config: EmbeddedStoreConfig;

/** The built `magicport`, on embedded chDB in this test's own directory. */
function magicport(args: string[]): Promise<Run> {
  const env: NodeJS.ProcessEnv = { ...process.env, MAGICPORT_CLICKHOUSE_PATH: config.path };
  delete env.CLICKHOUSE_URL;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { cwd: dir, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function recordedRows(): Promise<string[]> {
  const store = await openStore(config);
  try {
    const rows = await store.query<{ name: string }>(
      'SELECT name FROM schema_migrations ORDER BY name',
    );
    return rows.map((r) => r.name);
  } finally {
    await store.close();
  }
}

beforeAll(async () => {
  await promisify(execFile)(
    process.execPath,
    [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-b', 'apps/cli'],
    { cwd: root },
  );
  dir = await mkdtemp(join(tmpdir(), 'magicport-migrate-e2e-'));
  config = { mode: 'embedded', path: join(dir, 'clickhouse'), database: 'magicport' };
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('magicport migrate and rebuild (embedded chDB)', () => {
  it('applies every migration, then finds the schema current', async () => {
    const first = await magicport(['migrate']);
    expect([first.code, first.stderr]).toEqual([0, '']);
    expect(first.stdout).toBe(
      [
        `migrating embedded chDB at ${config.path} (database magicport)`,
        ...loadMigrations().map((f) => `applying ${f.name} (${f.statements.length} statements)`),
        `schema is now at ${FILES.at(-1)}`,
        '',
      ].join('\n'),
    );
    const again = await magicport(['migrate', '--json']);
    expect([again.code, again.stderr, JSON.parse(again.stdout)]).toEqual([
      0,
      '',
      { applied: [], current: FILES.at(-1) },
    ]);
    const check = await magicport(['migrate', '--check']);
    expect([check.code, check.stdout]).toEqual([
      0,
      `embedded chDB at ${config.path} (database magicport): schema is current\n`,
    ]);
  });

  it('two processes at once: chDB lets one open the path, the other fails cleanly', async () => {
    const runs = await Promise.all([magicport(['migrate']), magicport(['migrate'])]);
    for (const run of runs) {
      if (run.code === 0) continue;
      expect(run.code).toBe(1);
      // chDB's native library prints its own "Cannot lock file" line first; ours is the last.
      // The holder is named by its pid once it has written chDB's status file; a holder that
      // already finished leaves only chDB's bare failure, explained the same way.
      expect(run.stderr.trimEnd().split('\n').at(-1)).toMatch(
        /^magicport migrate: (embedded ClickHouse data directory .* is in use by (process \d+|another process) |cannot open embedded ClickHouse at .*If another process uses this directory: Stop the other magicport process)/,
      );
    }
    expect(runs.some((r) => r.code === 0)).toBe(true);
    expect(await recordedRows()).toEqual(FILES);
  });

  it('exits 1 naming the holder while another process has the path open', async () => {
    const holder = await openStore(config);
    try {
      const run = await magicport(['migrate']);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(`is in use by process ${process.pid}`);
      expect(run.stdout).toBe('');
    } finally {
      await holder.close();
    }
  });

  it('rebuilds the views, with progress lines when not on a terminal', async () => {
    const run = await magicport(['rebuild']);
    expect([run.code, run.stderr]).toEqual([0, '']);
    expect(run.stdout.split('\n').slice(0, 3)).toEqual([
      '[0/8] recomputing driver_builds_daily',
      '[1/8] swapping in driver_builds_daily',
      '[2/8] rebuilt driver_builds_daily',
    ]);
    expect(run.stdout).toMatch(/\nrebuilt the report views of embedded chDB at .* in \d+ ms\n$/);
  });

  it('refuses (exit 3) a database migrated by a newer magicport, and rebuild with it', async () => {
    const store = await openStore(config);
    try {
      await store.insert('schema_migrations', [
        { name: '9999_newer.sql', checksum: '00', applied_at: '2026-12-01 00:00:00.000' },
      ]);
    } finally {
      await store.close();
    }
    const run = await magicport(['migrate']);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain(
      'magicport migrate: refusing to migrate embedded chDB at ' +
        `${config.path} (database magicport): it records migration 9999_newer.sql`,
    );
    const check = await magicport(['migrate', '--check']);
    expect(check.code).toBe(1);
    expect(check.stdout).toContain('  unknown (newer magicport?): 9999_newer.sql');
    const rebuild = await magicport(['rebuild']);
    expect(rebuild.code).toBe(3);
    expect(rebuild.stderr).toContain('is not current');
  });

  it('exits 2 on a bad configuration, naming the variable', async () => {
    const env = { ...process.env, CLICKHOUSE_URL: 'ftp://example' };
    const run = await new Promise<Run>((resolve) => {
      execFile(process.execPath, [cli, 'migrate'], { cwd: dir, env }, (err, stdout, stderr) =>
        resolve({ code: err ? Number(err.code) : 0, stdout, stderr }),
      );
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('CLICKHOUSE_URL: scheme must be http or https');
  });
});
