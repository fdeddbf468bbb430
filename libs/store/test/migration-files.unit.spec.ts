import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MIGRATIONS_DIR, loadMigrations, splitStatements } from '@magicport/store';

const dirs: string[] = [];
function folder(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'magicport-migration-files-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('splitStatements', () => {
  it('splits at a ; that ends a line and drops whole-line comments', () => {
    expect(
      splitStatements(
        "-- header; not a statement\nCREATE TABLE a (x String DEFAULT 'a;b')\nENGINE = Memory;\n\n  -- between;\nSELECT 1 ;  \nSELECT 2",
      ),
    ).toEqual(["CREATE TABLE a (x String DEFAULT 'a;b')\nENGINE = Memory", 'SELECT 1', 'SELECT 2']);
  });
});

describe('loadMigrations', () => {
  it('loads the package migrations in order with their sha256', () => {
    const files = loadMigrations();
    expect(files.slice(0, 2).map((f) => [f.name, f.version])).toEqual([
      ['0001_raw_tables.sql', 1],
      ['0002_report_views.sql', 2],
    ]);
    const bytes = readFileSync(join(MIGRATIONS_DIR, '0001_raw_tables.sql'));
    expect(files[0]!.checksum).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(files[0]!.statements).toHaveLength(5);
    expect(files.map((f) => f.version)).toEqual(
      [...files.map((f) => f.version)].sort((a, b) => a - b),
    );
  });

  it('ignores other files and refuses misnamed or duplicate-numbered SQL', () => {
    expect(loadMigrations(folder({ '0001_a.sql': 'SELECT 1;', 'notes.txt': 'x' }))).toHaveLength(1);
    expect(() => loadMigrations(folder({ '1_a.sql': 'SELECT 1;' }))).toThrow(
      'migration file 1_a.sql in',
    );
    expect(() =>
      loadMigrations(folder({ '0001_a.sql': 'SELECT 1;', '0001_b.sql': 'SELECT 2;' })),
    ).toThrow('migrations 0001_a.sql and 0001_b.sql have the same number 0001');
  });
});
