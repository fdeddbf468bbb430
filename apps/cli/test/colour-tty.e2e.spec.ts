/**
 * Colour on a terminal, checked on a real pseudo-terminal (util-linux `script`): the tables of
 * `simulate` are coloured for a person at a TTY (the control), never with NO_COLOR set; `dm tap`
 * writes no colour at all. The piped cases are in cli-basics.e2e.spec.ts.
 */
import { execFile } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildCli, ESC, root } from './cli-harness';

const cli = join(root, 'apps', 'cli', 'dist', 'main.js');
/** SGR sequences: what sets colours (the progress bar's cursor moves are not colour). */
const SGR = new RegExp(`${ESC}\\[[0-9;]*m`, 'g');
let dir: string;

beforeAll(async () => {
  await buildCli();
  dir = await mkdtemp(join(tmpdir(), 'magicport-cli-tty-'));
});

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Everything the CLI wrote to its terminal (stdout and stderr are both the pty). */
async function onTerminal(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  const command = [process.execPath, cli, ...args].map(quote).join(' ');
  const { stdout } = await promisify(execFile)('script', ['-qec', command, '/dev/null'], {
    cwd: dir,
    // A person's terminal, not a CI job: cli-table3's colour library turns colour off whenever
    // CI is set (as .ci/run sets it), TTY or not.
    env: {
      ...process.env,
      CI: undefined,
      NO_COLOR: undefined,
      FORCE_COLOR: undefined,
      TERM: 'xterm',
      ...env,
    },
    timeout: 60_000,
  });
  return stdout;
}

const simulate = ['simulate', '--guests', '5', '--hosts', '1', '--boots', '1'];

describe('colour on a terminal', () => {
  it('control: simulate colours its table headers and borders on a TTY', async () => {
    const out = await onTerminal(simulate, {});
    expect(out).toContain('handshake result');
    expect(new Set(out.match(SGR))).toEqual(new Set(['\u001b[36m', '\u001b[39m', '\u001b[90m']));
  });

  it('simulate on a TTY with NO_COLOR set: the same tables, no colour', async () => {
    const out = await onTerminal(simulate, { NO_COLOR: '1' });
    expect(out).toContain('handshake result');
    expect(out.match(SGR)).toBeNull();
  });

  it('dm tap on a TTY writes no colour, with or without NO_COLOR', async () => {
    const tap = [
      'dm',
      'tap',
      '--file',
      join(root, 'examples', 'traces', 'linux-boot.pid.trace'),
      '--vm',
      '11111111-2222-4333-8444-555555555555',
      '--host',
      'h1',
    ];
    for (const env of [{}, { NO_COLOR: '1' }]) {
      const out = await onTerminal(tap, env);
      expect(out).toContain('6 port accesses');
      expect(out.match(SGR)).toBeNull();
    }
  });
});
