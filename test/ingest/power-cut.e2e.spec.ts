/**
 * A power cut of the ClickHouse host while the ingest runs: every range whose offset Kafka has
 * committed must still be in the raw tables when the machine comes back. The embedded data
 * directory is on a disk whose power can be cut (`test/support/power-cut-disk.ts`: only what was
 * fsynced survives). The cut: the ingest is SIGKILLed and the disk copied at once; the copy,
 * mounted and opened, is the disk the machine would boot with. The control turns the tables'
 * fsync off: the rows of committed ranges are then missing. Needs root (loop mounts).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaBus, KAFKA_BUS_DEFAULTS, magicportTopics } from '@magicport/bus';
import { openStore } from '@magicport/store';
import { ingestGroupId } from '../../apps/server/src/ingest/ingest';
import { committedOffsets, committedTotal, makeEvents } from '../support/ingest-fixtures';
import { testKafkaBrokers, uniqueTopicName } from '../support/kafka';
import { openPowerCutDisk, type PowerCutDisk } from '../support/power-cut-disk';
import { waitFor } from '../support/recorder';

const tsx = createRequire(__filename).resolve('tsx');
const fixture = join(__dirname, 'fixtures', 'ingest-child.ts');
const brokers = testKafkaBrokers();
let disk: PowerCutDisk | undefined;

beforeAll(async () => {
  disk = await openPowerCutDisk('magicport-power-cut');
}, 120_000);
afterAll(async () => disk?.close());

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

  const path = join(disk!.path, `ch-${mode}`);
  const child = spawn(
    process.execPath,
    ['--import', tsx, fixture, brokers.join(','), topic, group, path, mode],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const groupId = ingestGroupId(group, topic);
  const committed = () => committedOffsets(brokers, groupId, topic);
  try {
    await waitFor(
      `${progress} offsets committed`,
      async () => {
        if (child.exitCode !== null) throw new Error(`the ingest exited: ${stderr}`);
        // A broker just started answers COORDINATOR_LOAD_IN_PROGRESS for a while (retriable).
        const total = await committedTotal(brokers, groupId, topic).catch(
          (error: { retriable?: boolean }) => {
            if (error.retriable) return 0n;
            throw error;
          },
        );
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
  const offsets = await committed();
  const after = await disk!.cut(mode);
  try {
    const store = await openStore({
      mode: 'embedded',
      path: join(after.path, `ch-${mode}`),
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
    await after.release();
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
