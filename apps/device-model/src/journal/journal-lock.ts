/**
 * One owner per journal directory.
 *
 * Invariants:
 * - While a process has a journal open, `<dir>/lock` exists and names that process (pid, host,
 *   boot id). Nobody else opens the journal meanwhile: two owners would each acknowledge (and
 *   delete) what the other has not delivered and append to the same segment.
 * - The lock file appears with its contents complete: it is written under a private name and
 *   linked into place (link fails if the name exists), so a reader never sees it half written.
 * - A lock whose process is gone (killed, host rebooted) is stale and taken over; a lock of a
 *   live process, of another host, or of this very process is never taken over.
 */
import { hostname } from 'node:os';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { errorCode, type JournalFs } from './journal-fs';

const LOCK = 'lock';

interface LockOwner {
  pid: number;
  host: string;
  /** Linux boot id: a pid recorded before a reboot names nobody now. */
  boot: string | null;
  since: string;
}

/** The journal is open in another process (or already in this one). */
export class JournalLockedError extends Error {
  override readonly name = 'JournalLockedError';
  constructor(
    readonly dir: string,
    readonly pid: number,
    readonly host: string,
  ) {
    super(
      `journal ${dir} is in use by process ${pid}${host === hostname() ? '' : ` on host ${host}`} ` +
        `(lock file ${join(dir, LOCK)}): each agent needs a journal directory of its own ` +
        `(--journal <dir>); if that process is gone, delete the lock file`,
    );
  }
}

export interface JournalLock {
  release(): Promise<void>;
}

function bootId(): string | null {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return null;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return errorCode(err) === 'EPERM';
  }
}

/** Whether `owner` can no longer hold the lock: same host, and its boot or its process is gone. */
function stale(owner: LockOwner | 'unreadable'): boolean {
  if (owner === 'unreadable') return true;
  if (owner.host !== hostname()) return false;
  if (owner.pid === process.pid) return false;
  const boot = bootId();
  if (boot !== null && owner.boot !== null && owner.boot !== boot) return true;
  return !processAlive(owner.pid);
}

/**
 * The lock's owner; null when there is no lock. A lock file that does not parse can only be
 * the leftover of a crash (a live owner's lock appears complete, see the invariants): no owner.
 */
async function readOwner(fs: JournalFs, path: string): Promise<LockOwner | 'unreadable' | null> {
  let text: string;
  try {
    text = (await fs.readFile(path)).toString('utf8');
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return null;
    throw err;
  }
  try {
    const owner = JSON.parse(text) as LockOwner;
    if (Number.isInteger(owner.pid) && typeof owner.host === 'string') return owner;
  } catch {
    // a crash left it torn or empty
  }
  return 'unreadable';
}

function lockedBy(dir: string, owner: LockOwner | 'unreadable'): JournalLockedError {
  return owner === 'unreadable'
    ? new JournalLockedError(dir, -1, 'unknown')
    : new JournalLockedError(dir, owner.pid, owner.host);
}

/** Takes the lock of journal `dir` or throws JournalLockedError naming the holder. */
export async function lockJournal(fs: JournalFs, dir: string): Promise<JournalLock> {
  const path = join(dir, LOCK);
  const mine: LockOwner = {
    pid: process.pid,
    host: hostname(),
    boot: bootId(),
    since: new Date().toISOString(),
  };
  const draft = join(dir, `${LOCK}.${process.pid}.tmp`);
  const file = await fs.open(draft, 'w');
  try {
    await file.writeFile(JSON.stringify(mine));
    await file.datasync();
  } finally {
    await file.close();
  }
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await fs.link(draft, path);
        break;
      } catch (err) {
        if (errorCode(err) !== 'EEXIST') throw err;
      }
      const owner = await readOwner(fs, path);
      if (owner === null) continue; // released meanwhile
      if (!stale(owner) || attempt >= 3) throw lockedBy(dir, owner);
      // Move the stale lock aside, then check it was the one judged stale: an opener racing us
      // may have taken it over already, and its lock goes back.
      const aside = join(dir, `${LOCK}.stale.${process.pid}`);
      try {
        await fs.rename(path, aside);
      } catch (err) {
        if (errorCode(err) === 'ENOENT') continue;
        throw err;
      }
      const moved = await readOwner(fs, aside);
      if (
        moved !== null &&
        moved !== 'unreadable' &&
        (owner === 'unreadable' || moved.pid !== owner.pid)
      ) {
        await fs.link(aside, path).catch(() => undefined);
        await fs.unlink(aside);
        throw lockedBy(dir, moved);
      }
      await fs.unlink(aside);
    }
  } finally {
    await fs.unlink(draft).catch(() => undefined);
  }
  await fs.syncDir(dir);
  let released = false;
  return {
    release: async () => {
      if (released) return;
      released = true;
      await fs.unlink(path);
    },
  };
}
