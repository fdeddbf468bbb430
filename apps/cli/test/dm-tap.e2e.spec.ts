import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';

const root = join(__dirname, '..', '..', '..');
const cli = join(root, 'apps', 'cli', 'dist', 'main.js');
const trace = (name: string) => join(root, 'examples', 'traces', name);
const VM = '6f1c2b1e-3c4d-4e5f-8a9b-0c1d2e3f4a5b';

interface Run {
  code: number | null;
  stdout: string;
  /** stderr lines without the command's `magicport dm tap: ` prefix. */
  said: string[];
}

let work = '';

/** `magicport dm tap` as a user runs it, in-process (no brokers), with its own journal. */
function tap(args: string[], stdin: string | Buffer = ''): Promise<Run> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env };
    delete env.KAFKA_BROKERS;
    const journal = join(work, `journal-${Math.random().toString(36).slice(2)}`);
    const child = spawn(
      process.execPath,
      [
        cli,
        'dm',
        'tap',
        '--vm',
        VM,
        '--host',
        'host-1',
        '--journal',
        journal,
        '--no-progress',
        ...args,
      ],
      { cwd: root, env },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({
        code,
        stdout,
        said: stderr
          .split('\n')
          .filter((line) => line !== '')
          .map((line) => line.replace(/^magicport dm tap: /, '')),
      }),
    );
    child.stdin.end(stdin);
  });
}

const EMBEDDED =
  'no Kafka brokers given (--brokers or KAFKA_BROKERS): events stay in this process (embedded mode)';

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'magicport-dm-tap-e2e-'));
  await promisify(execFile)(
    process.execPath,
    [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-b', 'apps/cli'],
    { cwd: root },
  );
});

describe('magicport dm tap: a given --format that does not fit', () => {
  it('--format qemu-dm on a QEMU trace: labelled as given, detection named, exit 1', async () => {
    const run = await tap([
      '--file',
      trace('linux-boot.pid.trace'),
      '--format',
      'qemu-dm',
      '--dm',
      'e2e.forced-dm',
    ]);
    expect(run.code).toBe(1);
    expect(run.said.slice(0, 3)).toEqual([
      EMBEDDED,
      '--format qemu-dm was given, but line 1 looks like a QEMU trace (detection would pick qemu-trace); reading it as qemu-dm as told',
      'e2e.forced-dm: qemu-dm (given), profile qemu-traditional, into in-process; end-of-file',
    ]);
    expect(run.said.at(-1)).toBe(
      'nothing recognised: no port access and no guest line in 10 lines (is this a QEMU trace, a qemu-dm log or a stubdomain console log? see --format)',
    );
  });

  it('--format qemu-trace on a qemu-dm log: the line that shows qemu-dm is named, exit 1', async () => {
    const run = await tap([
      '--file',
      trace('qemu-dm-linux.log'),
      '--format',
      'qemu-trace',
      '--dm',
      'e2e.forced-trace',
    ]);
    expect(run.code).toBe(1);
    expect(run.said[1]).toBe(
      '--format qemu-trace was given, but line 3 looks like a qemu-dm log (detection would pick qemu-dm); reading it as qemu-trace as told',
    );
    expect(run.said[2]).toBe(
      'e2e.forced-trace: qemu-trace (given), profile qemu-upstream, into in-process; end-of-file',
    );
  });

  it('control: the same files detected, or given the format that fits, exit 0 with no warning', async () => {
    const detected = await tap(['--file', trace('qemu-dm-linux.log'), '--dm', 'e2e.detected']);
    expect(detected.code).toBe(0);
    expect(detected.said[1]).toBe(
      'e2e.detected: qemu-dm (detected), profile qemu-traditional, into in-process; end-of-file',
    );
    const fitting = await tap([
      '--file',
      trace('linux-boot.pid.trace'),
      '--format',
      'qemu-trace',
      '--dm',
      'e2e.fits',
    ]);
    expect(fitting.code).toBe(0);
    expect(fitting.said[1]).toBe(
      'e2e.fits: qemu-trace (given), profile qemu-upstream, into in-process; end-of-file',
    );
  });
});

describe('magicport dm tap: input with nothing recognised exits non-zero', () => {
  it('200 KB of (seeded) random bytes', async () => {
    let seed = 12345;
    const bytes = Buffer.alloc(200 * 1024, 0).map(() => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed >>> 23;
    });
    const path = join(work, 'random.bin');
    await writeFile(path, bytes);
    const run = await tap(['--file', path, '--dm', 'e2e.random']);
    expect(run.code).toBe(1);
    expect(run.said.slice(-2)).toEqual([
      '959 lines had no time prefix: each is timed 1 µs after the line before it, from the last prefix time or from the origin 1970-01-01T00:00:00.000Z (--origin)',
      'nothing recognised: no port access and no guest line in 959 lines (is this a QEMU trace, a qemu-dm log or a stubdomain console log? see --format)',
    ]);
  });

  it('a file whose every line is unparseable says so', async () => {
    const path = join(work, 'junk.log');
    await writeFile(path, '\u0000\u0001 junk\n'.repeat(2000), 'latin1');
    const run = await tap(['--file', path, '--dm', 'e2e.junk']);
    expect(run.code).toBe(1);
    expect(run.said.at(-1)).toBe(
      'nothing recognised: every one of the 2000 lines is unparseable (is this a QEMU trace, a qemu-dm log or a stubdomain console log? see --format)',
    );
  });

  it('control: an empty file is no failure, and a qemu-dm log with guest lines is recognised', async () => {
    const empty = join(work, 'empty.log');
    await writeFile(empty, '');
    expect((await tap(['--file', empty, '--dm', 'e2e.empty'])).code).toBe(0);
    expect((await tap(['--file', trace('qemu-dm-mixed.log'), '--dm', 'e2e.mixed'])).code).toBe(0);
  });
});

describe('magicport dm tap: the no-time-prefix notice counts only lines without one', () => {
  it('lines with a prefix (a malformed event, an impossible date) are not counted', async () => {
    const path = join(work, 'prefixed.trace');
    await writeFile(
      path,
      [
        '12423@1538597569.672527:cpu_in addr 0x10(q) value 1',
        '2025-02-30T00:00:00.000000Z cpu_in addr 0x10(w) value 18898',
        '12423@1538597569.672530:cpu_in addr 0x10(w) value 18898',
        'cpu_in addr 0x12(b) value 1',
        '',
      ].join('\n'),
    );
    const run = await tap(['--file', path, '--json', '--dm', 'e2e.prefixed']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).report).toMatchObject({ syntheticTimes: 1, unparseable: 2 });
    expect(run.said).toContain(
      '1 lines had no time prefix: each is timed 1 µs after the line before it, from the last prefix time or from the origin 1970-01-01T00:00:00.000Z (--origin)',
    );
  });
});

describe('magicport dm tap --file -', () => {
  it('reads stdin, like transcript run -', async () => {
    const run = await tap(
      ['--file', '-', '--json', '--dm', 'e2e.stdin'],
      await readFile(trace('qemu-dm-mixed.log')),
    );
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      dm: 'e2e.stdin',
      format: 'qemu-dm',
      formatSource: 'detected',
      report: { lines: 43, guestLines: 9, deviceModelLines: 32, unattributedLines: 2 },
    });
  });
});

describe('magicport dm tap --tz', () => {
  it('says when the file has no console times for the zone to apply to', async () => {
    const run = await tap([
      '--file',
      trace('qemu-dm-linux.log'),
      '--tz',
      'Europe/Warsaw',
      '--dm',
      'e2e.tz',
    ]);
    expect(run.code).toBe(0);
    expect(run.said[2]).toBe('--tz Europe/Warsaw not used: a qemu-dm file has no console times');
  });

  it('refuses a zone Intl does not know, naming it', async () => {
    const run = await tap([
      '--file',
      trace('qubes-win-pv.linux-stubdom-dm.log'),
      '--tz',
      'Mars/Olympus',
    ]);
    expect(run.code).toBe(1);
    expect(run.said.join('\n')).toContain(
      'must be an IANA time zone such as Europe/Warsaw or UTC (got "Mars/Olympus")',
    );
  });
});
