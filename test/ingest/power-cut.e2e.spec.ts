/**
 * A power cut of the ClickHouse host while the ingest runs: every range whose offset Kafka has
 * committed must still be in the raw tables when the machine comes back. The embedded data
 * directory is on an ext4 file system in a file (a loop mount); the kernel's periodic writeback
 * is held off for the test (vm.dirty_* sysctls, journal commit every 10 minutes), so only what
 * was fsynced reaches the file. The cut: the ingest is SIGKILLed and the file copied at once;
 * the copy, mounted (its journal replayed) and opened, is the disk the machine would boot with.
 * The control turns the tables' fsync off: the rows of committed ranges are then missing.
 * Mounting needs root (as on the CI machines); without it this test fails and says so. The
 * sysctls are put back after the test, and when its process exits.
 */
import { execFile, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaBus, KAFKA_BUS_DEFAULTS, magicportTopics } from '@magicport/bus';
import { openStore } from '@magicport/store';
import { ingestGroupId } from '../../apps/server/src/ingest/ingest';
import { committedOffsets, makeEvents } from '../support/ingest-fixtures';
import { testKafkaBrokers, uniqueTopicName } from '../support/kafka';
import { waitFor } from '../support/recorder';

const sh = promisify(execFile);
const tsx = createRequire(__filename).resolve('tsx');
const fixture = join(__dirname, 'fixtures', 'ingest-child.ts');
const brokers = testKafkaBrokers();
const SYSCTLS = ['vm.dirty_expire_centisecs', 'vm.dirty_writeback_centisecs'] as const;
const saved = new Map<string, string>();
let dir: string;
let disk: string;
let mounted = false;

function sysctlPath(name: string): string {
  return `/proc/sys/${name.replace(/\./g, '/')}`;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'magicport-power-cut-'));
  disk = join(dir, 'disk');
  await mkdir(disk);
  await sh('truncate', ['-s', '2G', join(dir, 'disk.img')]);
  await sh('mkfs.ext4', ['-q', '-F', join(dir, 'disk.img')]);
  try {
    await sh('mount', ['-o', 'loop,commit=600', join(dir, 'disk.img'), disk]);
  } catch (error) {
    throw new Error(
      `this test loop-mounts a file system to cut its power and needs root for it: ${String(error)}`,
      { cause: error },
    );
  }
  mounted = true;
  for (const name of SYSCTLS) {
    const path = sysctlPath(name);
    saved.set(path, (await readFile(path, 'utf8')).trim());
  }
  // Dirty pages stay in memory for an hour and no flusher runs: only fsync writes them out.
  await writeFile(sysctlPath('vm.dirty_expire_centisecs'), '360000');
  await writeFile(sysctlPath('vm.dirty_writeback_centisecs'), '0');
}, 120_000);

/** The machine's own writeback back, whatever happens to this test. */
function restoreWriteback(): void {
  for (const [path, value] of saved) writeFileSync(path, value);
  saved.clear();
}
process.once('exit', restoreWriteback);

afterAll(async () => {
  restoreWriteback();
  if (mounted) await sh('umount', [disk]);
  if (dir) await rm(dir, { recursive: true, force: true });
});

/**
 * Ingests a fresh topic in a child process on the loop-mounted disk, cuts the power once
 * `progress` offsets are committed, and returns, per partition, the committed offset and the
 * offsets below it found in the raw tables of the disk as it was at the cut.
 */
async function cutPower(mode: 'fsync' | 'no-fsync', progress: bigint) {
  const topic = uniqueTopicName(`power-cut-${mode}`);
  const group = `power-cut-${randomBytes(4).toString('hex')}`;
  const bus = new KafkaBus({ ...KAFKA_BUS_DEFAULTS, brokers, log: () => undefined });
  await bus.ensureTopics([...magicportTopics(), { topic, partitions: 3 }]);
  await bus.publish(topic, makeEvents(60_000, 30).records);
  await bus.close();

  const path = join(disk, `ch-${mode}`);
  const child = spawn(
    process.execPath,
    ['--import', tsx, fixture, brokers.join(','), topic, group, path, mode],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const committed = () => committedOffsets(brokers, ingestGroupId(group, topic), topic);
  try {
    await waitFor(
      `${progress} offsets committed`,
      async () => {
        if (child.exitCode !== null) throw new Error(`the ingest exited: ${stderr}`);
        // A broker just started answers COORDINATOR_LOAD_IN_PROGRESS for a while (retriable).
        const offsets = await committed().catch((error: { retriable?: boolean }) => {
          if (error.retriable) return new Map<number, bigint>();
          throw error;
        });
        const total = [...offsets.values()].reduce((a, b) => a + (b > 0n ? b : 0n), 0n);
        return total >= progress;
      },
      120_000,
      100,
    );
  } finally {
    child.kill('SIGKILL');
    await exited;
  }
  // The cut: what the file holds now is what the disk held when the power went.
  const image = join(dir, `cut-${mode}.img`);
  await sh('cp', ['--sparse=always', join(dir, 'disk.img'), image]);
  const offsets = await committed();
  const after = join(dir, `after-${mode}`);
  await mkdir(after);
  await sh('mount', ['-o', 'loop', image, after]);
  try {
    const store = await openStore({
      mode: 'embedded',
      path: join(after, `ch-${mode}`),
      database: 'magicport',
    });
    try {
      const found = new Map<number, number>();
      for (const [partition, offset] of offsets) {
        const [row] = await store.query<{ n: string }>(
          `SELECT uniqExact(_offset) AS n FROM (
             SELECT _offset, _partition, _topic FROM dm_instances
             UNION ALL SELECT _offset, _partition, _topic FROM port_accesses
             UNION ALL SELECT _offset, _partition, _topic FROM handshakes
             UNION ALL SELECT _offset, _partition, _topic FROM guest_logs
           ) WHERE _topic = {topic:String} AND _partition = {partition:UInt32}
             AND _offset < {offset:UInt64}`,
          { topic, partition, offset: String(offset < 0n ? 0n : offset) },
        );
        found.set(partition, Number(row?.n ?? 0));
      }
      return {
        committed: new Map([...offsets].map(([p, o]) => [p, Number(o < 0n ? 0n : o)])),
        found,
      };
    } finally {
      await store.close();
    }
  } finally {
    await sh('umount', [after]);
    await rm(image, { force: true });
  }
}

describe('ingest through a power cut of the ClickHouse host', () => {
  it('every committed range is on the disk after the cut', async () => {
    const { committed, found } = await cutPower('fsync', 20_000n);
    expect([...committed.values()].reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(20_000);
    expect(found).toEqual(committed);
  }, 300_000);

  it('control: with the tables not fsyncing, committed rows are lost in the cut', async () => {
    const { committed, found } = await cutPower('no-fsync', 20_000n);
    const lost = [...committed].reduce((n, [p, c]) => n + c - (found.get(p) ?? 0), 0);
    expect(lost, JSON.stringify({ committed: [...committed], found: [...found] })).toBeGreaterThan(
      0,
    );
  }, 300_000);
});
