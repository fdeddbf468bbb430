/**
 * Vitest global setup for every project: one temporary directory per run, made the workers'
 * `TMPDIR` (they and the processes they start inherit it, so `os.tmpdir()` points into it), and
 * removed when the run ends. Test files make their own directories with `mkdtemp(tmpdir())` and
 * do not all remove them; this way a run leaves nothing behind in the system's temporary
 * directory, whatever a test does. `MAGICPORT_TEST_SYSTEM_TMPDIR` keeps the system's one for the
 * few machine-wide things (the power-cut lock).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Each project loads this file in its own module graph: the run's directory lives on globalThis,
// counted by project, and goes when the last project tears down.
const shared = Symbol.for('magicport.test-temp-root');
type SharedRoot = { dir: Promise<string>; users: number; systemTmp: string; previous?: string };
const registry = globalThis as { [shared]?: SharedRoot };

export default async function setup(): Promise<() => Promise<void>> {
  const entry = (registry[shared] ??= (() => {
    const systemTmp = process.env.MAGICPORT_TEST_SYSTEM_TMPDIR ?? tmpdir();
    return {
      dir: mkdtemp(join(systemTmp, 'magicport-test-run-')),
      users: 0,
      systemTmp,
      previous: process.env.TMPDIR,
    };
  })());
  entry.users += 1;
  const dir = await entry.dir;
  process.env.MAGICPORT_TEST_SYSTEM_TMPDIR = entry.systemTmp;
  process.env.TMPDIR = dir;
  return async () => {
    entry.users -= 1;
    if (entry.users > 0) return;
    delete registry[shared];
    if (entry.previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = entry.previous;
    // A file system a test left mounted in here cannot be removed (EBUSY): say where, and let the
    // run's result stand.
    await rm(dir, { recursive: true, force: true, maxRetries: 3 }).catch((error: unknown) => {
      console.error(`test temp root: could not remove ${dir}: ${String(error)}`);
    });
  };
}
