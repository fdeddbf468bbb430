import { execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

export const root = join(__dirname, '..', '..', '..');
const cli = join(root, 'apps', 'cli', 'dist', 'main.js');

export interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Wall time from spawn to exit. */
  ms: number;
}

export interface RunOptions {
  stdin?: string | Buffer;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Close our end of the child's stdout at once, as `| head -0` would: its writes get EPIPE. */
  closeStdout?: boolean;
  /** Kill the child (SIGKILL) if it has not exited by then: a hang fails the test, not the run. */
  killAfterMs?: number;
  /** Called once with the child, e.g. to send it a signal when its stderr shows progress. */
  onStderr?: (text: string, child: ReturnType<typeof spawn>) => void;
}

/** Runs the built `magicport` entry point as a user would. */
export function magicport(args: string[], options: RunOptions = {}): Promise<Run> {
  const began = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], {
      cwd: options.cwd ?? root,
      env: { ...process.env, NO_COLOR: undefined, FORCE_COLOR: undefined, ...options.env },
    });
    let stdout = '';
    let stderr = '';
    if (options.closeStdout) child.stdout.destroy();
    else child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      options.onStderr?.(stderr, child);
    });
    const killer = setTimeout(() => child.kill('SIGKILL'), options.killAfterMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - began });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.stdin ?? '');
  });
}

/** The CLI runs from its build output, like `npx magicport`; build it (incremental) first. */
export async function buildCli(): Promise<void> {
  await promisify(execFile)(
    process.execPath,
    [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-b', 'apps/cli'],
    { cwd: root },
  );
}

/** No terminal control sequence (CSI/OSC/any ESC) in a program's output. */
export const ESC = '\u001b';
