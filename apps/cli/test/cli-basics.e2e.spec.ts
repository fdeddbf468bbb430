import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildCli, ESC, magicport, root } from './cli-harness';

const example = join(root, 'examples', 'transcripts', 'linux-boot.json');
let dir: string;

beforeAll(async () => {
  await buildCli();
  dir = await mkdtemp(join(tmpdir(), 'magicport-cli-'));
});

/** A transcript whose result is a few MB of JSON: enough to outlast any pipe buffer. */
function bigTranscript(): string {
  const accesses = [];
  for (let i = 0; i < 40_000; i++) accesses.push({ op: 'in', port: 16, size: 2 });
  return JSON.stringify({ profile: 'qemu-upstream', accesses });
}

describe('magicport: the program itself', () => {
  it('--version prints the package version and exits 0', async () => {
    const run = await magicport(['--version']);
    expect([run.code, run.stdout, run.stderr]).toEqual([0, '0.1.0\n', '']);
  });

  it('help UNKNOWN says the command is unknown and exits 1', async () => {
    const run = await magicport(['help', 'frobnicate']);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe("magicport: unknown command 'frobnicate' (see magicport --help)\n");
  });

  it('the top-level help describes only commands that exist', async () => {
    const run = await magicport(['--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).not.toMatch(/query/i);
    const commands = [...run.stdout.matchAll(/^ {2}([a-z][\w-]*)\b/gm)].map((m) => m[1]!);
    expect(commands).toEqual(expect.arrayContaining(['dm', 'simulate', 'transcript', 'help']));
    // Every command the help lists is there.
    for (const command of commands.filter((c) => c !== 'help')) {
      const help = await magicport(['help', command]);
      expect([command, help.code, help.stdout]).toEqual([
        command,
        0,
        expect.stringContaining(`Usage: magicport ${command} `),
      ]);
    }
  });
});

describe('a closed stdout (EPIPE) ends a printing command quietly with exit 0', () => {
  it('transcript run with a large result', async () => {
    const run = await magicport(['transcript', 'run', '-'], {
      stdin: bigTranscript(),
      closeStdout: true,
    });
    expect([run.code, run.stderr]).toEqual([0, '']);
  });

  it('simulate --json', async () => {
    const run = await magicport(
      ['simulate', '--guests', '50', '--hosts', '2', '--boots', '1', '--no-progress', '--json'],
      { closeStdout: true, cwd: dir },
    );
    expect(run.code).toBe(0);
    expect(run.stderr).not.toMatch(/EPIPE|at .*\.js/);
  });

  it('--help', async () => {
    const run = await magicport(['simulate', '--help'], { closeStdout: true });
    expect([run.code, run.stderr]).toEqual([0, '']);
  });
});

describe('input files: plain words, no raw bytes, no errno codes', () => {
  const run = (args: string[], stdin?: string) =>
    magicport(['transcript', 'run', ...args], { stdin });

  it('a missing file, a directory', async () => {
    expect((await run(['no-such-file.json'])).stderr).toBe(
      'magicport transcript run: no-such-file.json: no such file or directory\n',
    );
    expect((await run([dir])).stderr).toBe(
      `magicport transcript run: ${dir}: is a directory, not a file\n`,
    );
  });

  it('/dev/zero and other endless or huge inputs hit the size limit with a clear message', async () => {
    const zero = await run(['/dev/zero']);
    expect([zero.code, zero.stderr]).toEqual([
      1,
      'magicport transcript run: /dev/zero: larger than the 256 MiB input limit\n',
    ]);
  });

  it('terminal escape sequences in the input are escaped in the error', async () => {
    const path = join(dir, 'escapes.json');
    await writeFile(path, '\u001b[2J\u001b]0;pwned\u0007{"accesses": [');
    const result = await run([path]);
    expect(result.code).toBe(1);
    expect(result.stderr).not.toContain(ESC);
    expect(result.stderr).toContain('\\u001b[2J');
  });

  it('accepts a UTF-8 byte order mark', async () => {
    const path = join(dir, 'bom.json');
    await writeFile(
      path,
      `\ufeff${JSON.stringify({ accesses: [{ op: 'in', port: 16, size: 2 }] })}`,
    );
    const result = await run([path]);
    expect([result.code, result.stderr]).toEqual([0, '']);
    expect(JSON.parse(result.stdout).responses).toEqual([18898]);
  });

  it('shows numbers as the user wrote them', async () => {
    const transcript =
      '{"accesses": [{"op": "in", "port": 1e400, "size": 2},' +
      ' {"op": "out", "port": 16, "size": 4, "value": 12345678901234567890123}]}';
    const result = await run(['-'], transcript);
    expect([result.code, result.stderr]).toEqual([
      1,
      'magicport transcript run: stdin: accesses[0].port: must be an integer from 0 to 65535 (got 1e400)\n' +
        'magicport transcript run: stdin: accesses[1].value: must be an integer from 0 to 4294967295 for a 4-byte write (got 12345678901234567890123)\n',
    ]);
  });
});

describe('colour only on a TTY and never with NO_COLOR', () => {
  it('simulate tables piped to a file carry no ANSI escapes', async () => {
    const run = await magicport(
      ['simulate', '--guests', '5', '--hosts', '1', '--boots', '1', '--no-progress'],
      { cwd: dir },
    );
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('handshake result');
    expect(run.stdout).not.toContain(ESC);
    expect(run.stderr).not.toContain(ESC);
  });

  it('and not even when FORCE_COLOR asks for it, if NO_COLOR is set', async () => {
    const run = await magicport(['simulate', '--guests', '5', '--hosts', '1', '--boots', '1'], {
      cwd: dir,
      env: { FORCE_COLOR: '1', NO_COLOR: '1' },
    });
    expect(run.code).toBe(0);
    expect(run.stdout + run.stderr).not.toContain(ESC);
  });
});

it('the example still runs (control for the cases above)', async () => {
  const run = await magicport(['transcript', 'run', example]);
  expect([run.code, run.stderr]).toEqual([0, '']);
});
