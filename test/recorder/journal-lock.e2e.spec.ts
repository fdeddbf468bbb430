/**
 * Defect: two agents, one journal. Every command defaulted to one journal directory, and a
 * second agent started there shared it: each acknowledged (and deleted) what the other had not
 * delivered, and both appended to one segment. Now a journal has one owner process: a second
 * opener fails at once naming the directory and the holder's pid; a dead holder's lock is taken
 * over; and the default directory is per source, so the natural usage does not collide.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { agentRuntimeOptions } from '../../apps/cli/src/agent-runtime';
import { Journal, JournalLockedError } from '../../apps/device-model/src/journal';

const fixture = join(__dirname, 'fixtures', 'hold-journal.ts');
const tsx = createRequire(__filename).resolve('tsx');

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

/** Starts a process that holds journal `dir`; resolves once it has it open. */
async function holder(dir: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', tsx, fixture, dir], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes(`open ${child.pid}\n`)) resolve();
    });
    child.on('exit', (code) => reject(new Error(`holder exited ${code}: ${err}`)));
  });
  return child;
}

const exited = (child: ChildProcess) =>
  new Promise<number | null>((resolve) =>
    child.exitCode !== null ? resolve(child.exitCode) : child.on('exit', (code) => resolve(code)),
  );

describe('journal lock', () => {
  it('a second opener fails at once, naming the directory and the holding pid', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'magicport-lock-'));
    const first = await holder(dir);
    const error = await Journal.open(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JournalLockedError);
    expect((error as JournalLockedError).pid).toBe(first.pid);
    expect((error as Error).message).toBe(
      `journal ${dir} is in use by process ${first.pid} (lock file ${join(dir, 'lock')}): each agent needs a journal directory of its own (--journal <dir>); if that process is gone, delete the lock file`,
    );
    // The holder is undisturbed: it closes cleanly and the journal opens after it.
    first.stdin!.end();
    expect(await exited(first)).toBe(0);
    const after = await Journal.open(dir);
    expect(
      (await after.read(after.cursor, 1 << 20)).records.map((r) => r.value.toString()),
    ).toEqual([`held by ${first.pid}`]);
    await after.close();
  });

  it('a third process started while the second holds it is refused too (exit 3 with the message)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'magicport-lock-'));
    const first = await holder(dir);
    const second = spawn(process.execPath, ['--import', tsx, fixture, dir]);
    children.push(second);
    let err = '';
    second.stderr.on('data', (d: Buffer) => (err += d.toString()));
    expect(await exited(second)).toBe(3);
    expect(err).toBe(
      `JournalLockedError: journal ${dir} is in use by process ${first.pid} (lock file ${join(dir, 'lock')}): each agent needs a journal directory of its own (--journal <dir>); if that process is gone, delete the lock file\n`,
    );
  });

  it("a killed holder's stale lock is taken over, and its records are kept", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'magicport-lock-'));
    const first = await holder(dir);
    first.kill('SIGKILL');
    await exited(first);
    expect((await readdir(dir)).includes('lock')).toBe(true);
    const after = await Journal.open(dir);
    expect(
      (await after.read(after.cursor, 1 << 20)).records.map((r) => r.value.toString()),
    ).toEqual([`held by ${first.pid}`]);
    await after.close();
    expect((await readdir(dir)).includes('lock')).toBe(false);
  });

  it('the default journal directory is per source: two taps or two seeds do not share one', () => {
    const dir = (flags: Record<string, unknown>) => agentRuntimeOptions(flags, {}).journalDir;
    const root = resolve('.magicport/agent-journal');
    const tap = { host: 'h1', vm: 'v1' };
    expect(dir({ ...tap, file: 'a/qemu.log' })).toBe(dir({ ...tap, file: './a/qemu.log' }));
    expect(dir({ ...tap, file: 'a/qemu.log' })).not.toBe(dir({ ...tap, file: 'b/qemu.log' }));
    expect(dir({ ...tap, file: 'a/qemu.log' })).toMatch(
      new RegExp(`^${root}/tap-qemu\\.log-[0-9a-f]{12}$`),
    );
    expect(dir({ ...tap, file: 'a/qemu.log', dm: 'h1.dm-7' })).toBe(join(root, 'dm-h1.dm-7'));
    expect(dir({ seed: 42 })).toBe(join(root, 'simulate-seed-42'));
    expect(dir({ seed: 43 })).toBe(join(root, 'simulate-seed-43'));
    expect(dir({ seed: 42, journal: 'j' })).toBe(resolve('j'));
  });
});
