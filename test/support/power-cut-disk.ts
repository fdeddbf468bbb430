/**
 * A disk whose power can be cut, for the power-cut tests: an ext4 file system in a file,
 * loop-mounted, with the kernel's periodic writeback held off (vm.dirty_* sysctls, journal
 * commit every 10 minutes) so that only what was fsynced reaches the file. `cut()` copies the
 * file at that instant (kill the writers first) and mounts the copy, its journal replayed: the
 * disk a rebooted machine would find. Needs root; without it, it fails and says so. The sysctls
 * are put back by `close()`, and when the process exits. They are the machine's, so one such
 * disk is open at a time: test files that want one wait for each other (a lock file).
 */
import { execFile } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const sh = promisify(execFile);
const WRITEBACK = {
  // Dirty pages stay in memory for an hour and no flusher runs: only fsync writes them out.
  '/proc/sys/vm/dirty_expire_centisecs': '360000',
  '/proc/sys/vm/dirty_writeback_centisecs': '0',
};

export interface PowerCutDisk {
  /** Where the file system is mounted. */
  readonly path: string;
  /** The disk as it is now, mounted read-write elsewhere; `release()` unmounts and deletes it. */
  cut(label: string): Promise<{ path: string; release(): Promise<void> }>;
  close(): Promise<void>;
}

// Machine-wide (the writeback sysctls are): in the system's temporary directory, not the run's.
const LOCK = join(process.env.MAGICPORT_TEST_SYSTEM_TMPDIR ?? tmpdir(), 'magicport-power-cut.lock');

/** Waits until no other live process holds the lock, then holds it (a dead holder's is taken). */
async function takeLock(): Promise<void> {
  const deadline = Date.now() + 15 * 60_000;
  for (;;) {
    try {
      await writeFile(LOCK, String(process.pid), { flag: 'wx' });
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = Number(await readFile(LOCK, 'utf8').catch(() => ''));
    if (!alive(holder)) {
      await rm(LOCK, { force: true });
      continue;
    }
    if (Date.now() > deadline) throw new Error(`${LOCK} is held by process ${holder}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function openPowerCutDisk(prefix: string): Promise<PowerCutDisk> {
  await takeLock();
  const dir = await mkdtemp(join(tmpdir(), `${prefix}-`));
  const image = join(dir, 'disk.img');
  const path = join(dir, 'disk');
  await mkdir(path);
  await sh('truncate', ['-s', '2G', image]);
  await sh('mkfs.ext4', ['-q', '-F', image]);
  try {
    await sh('mount', ['-o', 'loop,commit=600', image, path]);
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    await rm(LOCK, { force: true });
    throw new Error(
      `the power-cut tests loop-mount a file system and need root for it: ${String(error)}`,
      { cause: error },
    );
  }
  const saved = new Map<string, string>();
  const restore = () => {
    for (const [file, value] of saved) writeFileSync(file, value);
    if (saved.size > 0) rmSync(LOCK, { force: true });
    saved.clear();
  };
  process.once('exit', restore);
  for (const [file, value] of Object.entries(WRITEBACK)) {
    saved.set(file, (await readFile(file, 'utf8')).trim());
    await writeFile(file, value);
  }
  return {
    path,
    async cut(label) {
      const copy = join(dir, `cut-${label}.img`);
      const at = join(dir, `after-${label}`);
      await sh('cp', ['--sparse=always', image, copy]);
      await mkdir(at);
      await sh('mount', ['-o', 'loop', copy, at]);
      return {
        path: at,
        async release() {
          await sh('umount', [at]);
          await rm(copy, { force: true });
        },
      };
    },
    async close() {
      restore();
      await sh('umount', [path]);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
