/**
 * `magicport serve` as a child process for the ingest's crash tests: started with its own
 * environment, watched through its JSON log lines, killed with SIGKILL or stopped with SIGTERM.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');
const cliEntry = join(root, 'apps', 'cli', 'dist', 'main.js');

export interface ServeProcess {
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves with the URL once the server listens; rejects if it exits first. */
  listening: Promise<string>;
  stderr(): string;
}

const running = new Set<ChildProcess>();

export function spawnServe(args: string[], env: Record<string, string>): ServeProcess {
  const child = spawn(process.execPath, [cliEntry, 'serve', ...args], {
    cwd: root,
    env: { ...process.env, MAGICPORT_LOG_FORMAT: 'json', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let stdout = '';
  let stderr = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('close', (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    }),
  );
  const listening = new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const url = /listening on (\S+)/.exec(stdout)?.[1];
      if (url) resolve(url);
    });
    void exited.then(({ code, signal }) =>
      reject(
        new Error(
          `magicport serve exited (${code ?? signal}) before listening:\n${stderr.slice(-3000)}`,
        ),
      ),
    );
  });
  listening.catch(() => undefined);
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return { child, exited, listening, stderr: () => stderr };
}

/** Kills whatever a failed test left running. */
export async function killLeftoverServers(): Promise<void> {
  const exits = [...running].map((c) => new Promise<void>((r) => c.once('close', () => r())));
  for (const child of running) child.kill('SIGKILL');
  await Promise.all(exits);
}
