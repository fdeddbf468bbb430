import { execFile, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';

const root = join(__dirname, '..', '..', '..');
const cli = join(root, 'apps', 'cli', 'dist', 'main.js');
const example = (name: string) => join(root, 'examples', 'transcripts', name);

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built `magicport` entry point as a user would, optionally feeding stdin. */
function magicport(args: string[], stdin?: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { cwd: root });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin ?? '');
  });
}

beforeAll(async () => {
  // The CLI runs from its build output, like `npx magicport`; build it (incremental) first.
  await promisify(execFile)(
    process.execPath,
    [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-b', 'apps/cli'],
    { cwd: root },
  );
});

describe('magicport transcript run', () => {
  it('prints the DESIGN §3 example result as one JSON object and exits 0', async () => {
    const run = await magicport(['transcript', 'run', example('linux-boot.json')]);
    expect([run.code, run.stderr]).toEqual([0, '']);
    expect(JSON.parse(run.stdout)).toEqual({
      responses: [18898, 1, 53833],
      handshakes: [
        {
          result: 'blacklist-ignored',
          protocolVersion: 1,
          product: { number: 3, name: 'linux' },
          build: 1,
          blacklisted: true,
          blacklistKey: '/mh/driver-blacklist/linux/1',
          mask: 3,
          maskWrites: [3],
          unplug: { ideScsiDisks: true, nics: true, auxIdeDisks: false, nvmeDisks: false },
          unplugApplied: true,
          violations: ['mask-while-blacklisted'],
        },
      ],
      logLines: [],
      logLinesDropped: 0,
    });
  });

  it('reads stdin for "-": the same boot on qemu-traditional gives the documented output', async () => {
    const transcript = JSON.parse(await readFile(example('linux-boot.json'), 'utf8'));
    const run = await magicport(
      ['transcript', 'run', '-'],
      JSON.stringify({ ...transcript, profile: 'qemu-traditional' }),
    );
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result.responses).toEqual([18898, 1, 18898]);
    expect(Object.keys(result.handshakes[0])).toEqual([
      'result',
      'protocolVersion',
      'product',
      'build',
      'blacklisted',
      'blacklistKey',
      'mask',
      'maskWrites',
      'unplug',
      'unplugApplied',
      'violations',
    ]);
    expect([result.handshakes[0].result, result.handshakes[0].blacklistKey]).toEqual([
      'unplugged',
      null,
    ]);
  });

  it.each([
    [
      'win-pv-blacklisted-traditional.json',
      [18898, 1, 53833, 53833],
      ['blacklist-ignored', 'blacklist-ignored'],
      5,
    ],
    ['win-pv-blacklisted-spec-enforced.json', [18898, 1, 53833], ['blacklist-ignored'], 4],
    ['linux-blacklisted-spec.json', [18898, 1, 53833], ['blacklisted'], 0],
    ['freebsd-resume-upstream.json', [18898, 18898], ['unplugged', 'unplugged'], 0],
    ['odd-widths-traditional.json', [18898, 0x01ff, 0xffffffff, 0xff], ['abandoned'], 1],
  ])('runs examples/transcripts/%s', async (file, responses, results, lines) => {
    const run = await magicport(['transcript', 'run', example(file)]);
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result.responses).toEqual(responses);
    expect(result.handshakes.map((h: { result: string }) => h.result)).toEqual(results);
    expect(result.logLines).toHaveLength(lines);
  });

  it('rejects a malformed transcript with exit 1 and the offending entry on stderr', async () => {
    const transcript = {
      accesses: [
        { op: 'in', port: 16, size: 2 },
        { op: 'out', port: 16, size: 3, value: 1 },
      ],
    };
    const run = await magicport(['transcript', 'run', '-'], JSON.stringify(transcript));
    expect(run).toEqual({
      code: 1,
      stdout: '',
      stderr: 'magicport transcript run: stdin: accesses[1].size: must be 1, 2 or 4 (got 3)\n',
    });
  });

  it('rejects input that is not JSON, and a missing file', async () => {
    const notJson = await magicport(['transcript', 'run', '-'], '{"accesses": [');
    expect(notJson.code).toBe(1);
    expect(notJson.stderr).toMatch(/^magicport transcript run: stdin: not valid JSON \(.+\)\n$/);
    const missing = await magicport(['transcript', 'run', 'no-such-file.json']);
    expect(missing).toEqual({
      code: 1,
      stdout: '',
      stderr: 'magicport transcript run: no-such-file.json: no such file or directory\n',
    });
  });

  it('counts the log lines the spec rate limiter dropped: 40 lines of 4,000 bytes give 32 and 8 dropped', async () => {
    const line = [...'A'.repeat(4000), '\n'].map((c) => ({
      op: 'out',
      port: 18,
      size: 1,
      value: c.charCodeAt(0),
    }));
    const run = await magicport(
      ['transcript', 'run', '-'],
      JSON.stringify({ profile: 'spec', accesses: Array(40).fill(line).flat() }),
    );
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result.logLines).toHaveLength(32);
    expect(result.logLines[31].droppedBefore).toBe(0);
    expect(result.logLinesDropped).toBe(8);
  });

  it.each([
    ['/mh/driver-blacklist/Linux/1', 'unknown product name "Linux"'],
    ['mh/driver-blacklist/linux/1', 'must be a key like "/mh/driver-blacklist/linux/1"'],
    ['garbage', 'must be a key like "/mh/driver-blacklist/linux/1" (got "garbage")'],
  ])('rejects the blacklist entry %s naming it', async (key, problem) => {
    const run = await magicport(
      ['transcript', 'run', '-'],
      JSON.stringify({ blacklist: [key], accesses: [] }),
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`magicport transcript run: stdin: blacklist[0]: ${problem}`);
  });
});
