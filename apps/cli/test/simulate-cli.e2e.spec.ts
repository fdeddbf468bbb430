import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli, magicport, root } from './cli-harness';

let dir: string;
const small = ['--guests', '2', '--hosts', '1', '--boots', '1', '--no-progress'];

beforeAll(async () => {
  await buildCli();
  dir = await mkdtemp(join(tmpdir(), 'magicport-simulate-'));
});

/** A fresh journal directory, so each test sees only its own leftovers. */
async function journalDir(name: string): Promise<string> {
  const path = join(dir, name);
  await mkdir(path, { recursive: true });
  return path;
}

describe('simulate --start: checked before anything opens, exits, leaves nothing behind', () => {
  it.each([
    [
      '1969-12-31T00:00:00Z',
      [],
      /^magicport simulate: --start must be from 1970-01-01T00:00:00Z on \(got 1969-12-31T00:00:00Z\)\n$/,
    ],
    [
      '2300-01-01T00:00:00Z',
      [],
      /^magicport simulate: --start must be before 2250-01-01T00:00:00Z .*\(got 2300-01-01T00:00:00Z\)\n$/,
    ],
    [
      '2249-12-31T23:00:00Z',
      ['--boots', '1000'],
      /^magicport simulate: --start must be before 2250-01-01T00:00:00Z .*with --boots 1000.*\(got 2249-12-31T23:00:00Z\)\n$/,
    ],
  ])('--start %s %j', async (start, extra, message) => {
    const journal = await journalDir(`start-${start}`);
    const run = await magicport(
      ['simulate', ...small, ...extra, '--start', start, '--journal', journal],
      { killAfterMs: 30_000 },
    );
    expect(run.signal).toBeNull();
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(message);
    expect(await readdir(journal)).toEqual([]);
  });

  it('impossible dates are refused, not rolled forward', async () => {
    const run = await magicport(['simulate', ...small, '--start', '2026-02-30T00:00:00Z']);
    expect([run.code, run.stdout]).toEqual([1, '']);
    expect(run.stderr).toBe(
      'magicport simulate: --start: 2026-02-30T00:00:00Z is not a date (February 2026 has 28 days)\n',
    );
  });

  it('a time without Z or offset is read as UTC whatever the machine zone', async () => {
    const journal = await journalDir('tz');
    const args = ['simulate', ...small, '--json', '--journal', journal];
    const zoneless = await magicport([...args, '--start', '2026-11-01T00:00:00'], {
      env: { TZ: 'America/New_York' },
    });
    expect(zoneless.code).toBe(0);
    expect(JSON.parse(zoneless.stdout).start).toBe('2026-11-01T00:00:00.000Z');
    const offset = await magicport([...args, '--start', '2026-11-01T00:00:00+02:00'], {
      env: { TZ: 'America/New_York' },
    });
    expect(JSON.parse(offset.stdout).start).toBe('2026-10-31T22:00:00.000Z');
    const help = await magicport(['simulate', '--help']);
    expect(help.stdout).toContain('without Z or an offset is read as UTC');
  });
});

describe('dm tap --origin reads times like --start', () => {
  const tap = (origin: string) =>
    magicport([
      'dm',
      'tap',
      '--file',
      join(root, 'examples', 'traces', 'linux-boot.pid.trace'),
      '--vm',
      '00000000-0000-4000-8000-000000000001',
      '--host',
      'h',
      '--no-progress',
      '--origin',
      origin,
    ]);

  it('refuses an impossible date', async () => {
    const run = await tap('2026-02-30T00:00:00Z');
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      '--origin: 2026-02-30T00:00:00Z is not a date (February 2026 has 28 days)',
    );
  });

  it('says in its help that a zone-less time is UTC', async () => {
    const help = await magicport(['dm', 'tap', '--help']);
    expect(help.stdout.replace(/\s+/g, ' ')).toContain(
      'a time without Z or an offset is read as UTC',
    );
  });
});

describe('paths that cannot work fail before the run', () => {
  it('--journal /proc/x exits at once with a plain message (no spin)', async () => {
    const run = await magicport(['simulate', ...small, '--journal', '/proc/x/journal'], {
      killAfterMs: 30_000,
    });
    expect(run.signal).toBeNull();
    expect([run.code, run.stdout]).toEqual([1, '']);
    expect(run.stderr).toMatch(
      /^magicport simulate: --journal \/proc\/x\/journal: cannot create /m,
    );
    expect(run.stderr).not.toMatch(/E[A-Z]{3,}/);
  });

  it('--journal naming a file, --manifest naming a folder: plain words, no errno codes', async () => {
    const file = join(dir, 'a-file');
    await writeFile(file, '');
    const journal = await magicport(['simulate', ...small, '--journal', join(file, 'journal')]);
    expect([journal.code, journal.stderr]).toEqual([
      1,
      `magicport simulate: --journal ${join(file, 'journal')}: cannot create it: ${file} is a file, not a folder\n`,
    ]);
    const manifest = await magicport(['simulate', ...small, '--manifest', dir], { cwd: dir });
    expect([manifest.code, manifest.stderr]).toEqual([
      1,
      `magicport simulate: --manifest ${dir}: is a folder, not a file\n`,
    ]);
  });

  it('--manifest into a missing folder fails before the run', async () => {
    const journal = await journalDir('manifest');
    const run = await magicport([
      'simulate',
      ...small,
      '--journal',
      journal,
      '--manifest',
      join(dir, 'missing', 'manifest.json'),
    ]);
    expect([run.code, run.stdout]).toEqual([1, '']);
    expect(run.stderr).toBe(
      `magicport simulate: --manifest ${join(dir, 'missing', 'manifest.json')}: the folder ${join(dir, 'missing')} does not exist\n`,
    );
    expect(await readdir(journal)).toEqual([]);
  });

  it('--manifest writes the manifest when its folder exists (control)', async () => {
    const path = join(dir, 'manifest.json');
    const run = await magicport(['simulate', ...small, '--manifest', path], { cwd: dir });
    expect(run.code).toBe(0);
    expect(JSON.parse(await readFile(path, 'utf8')).guests).toBe(2);
  });
});

describe('--brokers', () => {
  it.each([
    ['notaport', '"notaport" is not host:port (e.g. 127.0.0.1:9092)'],
    ['127.0.0.1:abc', '"127.0.0.1:abc": the port must be a whole number from 1 to 65535'],
    ['http://host:9092', '"http://host:9092": give host:port without a scheme (host:9092)'],
    ['a:1,,b:2', 'an empty entry in the list "a:1,,b:2"'],
  ])('%s is rejected at once', async (brokers, message) => {
    const run = await magicport(['simulate', ...small, '--brokers', brokers]);
    expect([run.code, run.stdout, run.stderr]).toEqual([
      1,
      '',
      `magicport simulate: --brokers: ${message}\n`,
    ]);
  });

  let closedPort: number;
  let silent: Server;
  const sockets: Socket[] = [];
  beforeAll(async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    closedPort = (probe.address() as { port: number }).port;
    await new Promise((r) => probe.close(r));
    silent = createServer((socket) => sockets.push(socket));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => silent.close(r));
  });

  it('a closed port: one line per retry round, then a plain error', async () => {
    const run = await magicport(['simulate', ...small, '--brokers', `127.0.0.1:${closedPort}`], {
      killAfterMs: 90_000,
    });
    expect(run.code).toBe(1);
    const lines = run.stderr.trimEnd().split('\n');
    expect(lines.at(-1)).toBe(
      `magicport simulate: cannot reach Kafka at 127.0.0.1:${closedPort}: connection refused (is the broker running?)`,
    );
    expect(lines.slice(0, -1)).toEqual([
      `magicport simulate: kafka 127.0.0.1:${closedPort}: connection refused; trying again in 1 s`,
      `magicport simulate: kafka 127.0.0.1:${closedPort}: connection refused; trying again in 2 s`,
      `magicport simulate: kafka 127.0.0.1:${closedPort}: connection refused; trying again in 4 s`,
    ]);
  });

  it('a port that accepts and never answers is reported within 10 s', async () => {
    const port = (silent.address() as { port: number }).port;
    const run = await magicport(['simulate', ...small, '--brokers', `127.0.0.1:${port}`], {
      killAfterMs: 90_000,
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `magicport simulate: cannot reach Kafka at 127.0.0.1:${port}: no answer within 8 s (is it a Kafka broker?)\n`,
    );
    expect(run.ms).toBeLessThan(20_000);
  });
});

describe('a run: progress, interruption, leftovers', () => {
  it('says what it is doing before the first guest', async () => {
    const run = await magicport(['simulate', '--guests', '3', '--hosts', '1', '--boots', '1'], {
      cwd: dir,
    });
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('magicport simulate: running 3 guests on 1 hosts, 1 boots each\n');
  });

  it('SIGINT prints a partial summary and what happens to the journal, removes the in-process journal', async () => {
    const journal = await journalDir('sigint');
    let sent = false;
    const run = await magicport(
      ['simulate', '--guests', '1000000', '--hosts', '100', '--boots', '1', '--journal', journal],
      {
        killAfterMs: 120_000,
        onStderr: (text, child) => {
          if (!sent && text.includes('running 1000000 guests')) {
            sent = true;
            setTimeout(() => child.kill('SIGINT'), 500);
          }
        },
      },
    );
    expect(sent).toBe(true);
    expect(run.code).toBe(130);
    expect(run.stdout).toMatch(/^Interrupted after \d+ of 1000000 guests\./);
    expect(run.stdout).toContain('handshake result');
    expect(run.stderr).toContain(
      'magicport simulate: SIGINT: stopping after the current guest; the in-process journal is removed (its events lived only in this process)\n',
    );
    expect(await readdir(journal)).toEqual([]);
  });

  it('in-process journal folders left by dead runs are removed', async () => {
    const journal = await journalDir('leftovers');
    await mkdir(join(journal, 'in-process-999999999-abc123'));
    await mkdir(join(journal, 'in-process-Xyz789'));
    await mkdir(join(journal, 'unrelated'));
    const run = await magicport(['simulate', ...small, '--journal', journal]);
    expect(run.code).toBe(0);
    expect(await readdir(journal)).toEqual(['unrelated']);
  });
});

describe('every command exits within seconds of a fatal error', () => {
  const trace = join(root, 'examples', 'traces', 'linux-boot.pid.trace');
  const tap = ['dm', 'tap', '--vm', '00000000-0000-4000-8000-000000000001', '--host', 'h'];
  it.each([
    [['simulate', ...small, '--journal', '/proc/x']],
    [['simulate', ...small, '--brokers', 'nope']],
    [['simulate', ...small, '--start', '1969-01-01T00:00:00Z']],
    [[...tap, '--file', trace, '--journal', '/proc/x', '--no-progress']],
    [[...tap, '--file', 'no-such-file', '--no-progress']],
    [[...tap, '--file', trace, '--brokers', 'http://x:1', '--no-progress']],
    [['transcript', 'run', 'no-such-file']],
    [['transcript', 'run', '/dev/zero']],
  ])('%j', async (args) => {
    const run = await magicport(args, { killAfterMs: 30_000 });
    expect(run.signal).toBeNull();
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^magicport[ a-z-]*: /);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});
