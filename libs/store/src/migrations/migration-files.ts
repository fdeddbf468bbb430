import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** One numbered plain-SQL file of libs/store/migrations. */
export interface MigrationFile {
  /** The file name, e.g. `0001_raw_tables.sql`: what the migrations table records. */
  name: string;
  version: number;
  /** sha256 of the file's bytes, hex. */
  checksum: string;
  statements: string[];
}

/**
 * The package's migrations folder, found from this module's own location so it works from the
 * sources (src/migrations, tests) and from the build (dist/migrations, the CLI) alike.
 */
export const MIGRATIONS_DIR = join(__dirname, '..', '..', 'migrations');

const FILE_NAME = /^(\d{4})_[a-z0-9_]+\.sql$/;

/** Every migration in the folder, in order; a misnamed or duplicate-numbered .sql fails loudly. */
export function loadMigrations(dir: string = MIGRATIONS_DIR): MigrationFile[] {
  const files: MigrationFile[] = [];
  for (const name of readdirSync(dir).sort()) {
    if (!name.endsWith('.sql')) continue;
    const match = FILE_NAME.exec(name);
    if (match === null) {
      throw new Error(
        `migration file ${name} in ${dir} is misnamed: expected NNNN_lowercase_words.sql`,
      );
    }
    const bytes = readFileSync(join(dir, name));
    const version = Number(match[1]);
    const clash = files.find((f) => f.version === version);
    if (clash !== undefined) {
      throw new Error(`migrations ${clash.name} and ${name} have the same number ${match[1]}`);
    }
    files.push({
      name,
      version,
      checksum: createHash('sha256').update(bytes).digest('hex'),
      statements: splitStatements(bytes.toString('utf8')),
    });
  }
  return files;
}

/**
 * Statements of a migration file: whole-line `--` comments dropped, split at each `;` that
 * ends a line. (So a `;` at the end of a line inside a string literal is not supported.)
 */
export function splitStatements(sql: string): string[] {
  const code = sql
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('--'))
    .join('\n');
  return code
    .split(/;[ \t]*$/m)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}
