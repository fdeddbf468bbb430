import { spawnSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';

export interface ProcessInfo {
  alive: boolean;
  /** The full command line, empty when the process is gone. */
  command: string;
}

/**
 * What runs under `pid`, from `ps` (Linux and macOS). A zombie counts as gone: an orphaned
 * broker's parent may never reap it, and it holds no ports or files any more.
 */
export function inspectProcess(pid: number): ProcessInfo {
  const gone = { alive: false, command: '' };
  if (!Number.isInteger(pid) || pid <= 0) return gone;
  const ps = spawnSync('ps', ['-o', 'stat=', '-o', 'args=', '-p', String(pid)], {
    encoding: 'utf8',
  });
  if (ps.error) return fallbackInspect(pid);
  const line = ps.stdout.trim();
  if (ps.status !== 0 || line === '' || line.startsWith('Z')) return gone;
  return { alive: true, command: line.replace(/^\S+\s+/, '') };
}

// Without `ps` (minimal containers) only liveness is known; the command stays unknown.
function fallbackInspect(pid: number): ProcessInfo {
  try {
    process.kill(pid, 0);
    return { alive: true, command: '' };
  } catch (err) {
    return { alive: (err as NodeJS.ErrnoException).code === 'EPERM', command: '' };
  }
}

async function waitUntilGone(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!inspectProcess(pid).alive) return true;
    await sleep(100);
  }
  return !inspectProcess(pid).alive;
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

/**
 * SIGTERM lets the broker do a controlled shutdown (it flushes logs and leaves the quorum);
 * SIGKILL after `timeoutMs` so a wedged JVM never blocks a test run's teardown.
 */
export async function terminateProcess(
  pid: number,
  timeoutMs = 20_000,
): Promise<'terminated' | 'killed'> {
  signal(pid, 'SIGTERM');
  if (await waitUntilGone(pid, timeoutMs)) return 'terminated';
  signal(pid, 'SIGKILL');
  if (await waitUntilGone(pid, 5_000)) return 'killed';
  throw new Error(`process ${pid} is still running after SIGTERM and SIGKILL`);
}
