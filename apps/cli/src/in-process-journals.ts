import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * In-process journals live in `in-process-{pid}-{random}` inside the journal directory and are
 * removed at exit; a killed run leaves its folder behind. Remove those whose process is gone,
 * and those of the older unnamed form (`in-process-{random}`), whose owner cannot be told.
 */
export async function removeDeadInProcessJournals(journalDir: string): Promise<string[]> {
  const removed: string[] = [];
  for (const name of await readdir(journalDir)) {
    const match = /^in-process-(?:(\d+)-)?[A-Za-z0-9]{6}$/.exec(name);
    if (!match) continue;
    const pid = match[1] === undefined ? null : Number(match[1]);
    if (pid !== null && isAlive(pid)) continue;
    await rm(join(journalDir, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}

function isAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, as another user's process.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
