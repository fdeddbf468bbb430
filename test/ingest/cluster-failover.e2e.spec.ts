/**
 * A broker of three dies under the ingest: on a real 3-node cluster (replication factor 3,
 * min.insync.replicas 2), the node that is the consumer group's coordinator (every range record
 * and commit goes to it) and leads a share of the partitions is SIGKILLed mid-stream and
 * restarted 5 s later. The coordinator and the leaders move; every event is stored exactly once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaBus, KAFKA_BUS_DEFAULTS, magicportTopics } from '@magicport/bus';
import { migrate } from '@magicport/store';
import { ingestGroupId } from '../../apps/server/src/ingest/ingest';
import { startTestCluster, type TestCluster } from '../setup/kafka-cluster';
import { openTestClickHouse, type TestClickHouse } from '../support/clickhouse';
import { committedTotal, makeEvents, storedCounts } from '../support/ingest-fixtures';
import { startTestIngest } from '../support/ingest-harness';
import { partitionLeaders, uniqueTopicName } from '../support/kafka';
import { waitFor } from '../support/recorder';

let cluster: TestCluster;
let ch: TestClickHouse;

beforeAll(async () => {
  cluster = await startTestCluster(3);
  ch = await openTestClickHouse();
  await migrate(ch.store);
}, 240_000);
afterAll(async () => {
  await ch?.close();
  await cluster?.stop();
});

/** The node leading `__consumer_offsets` (one partition here): every group's coordinator. */
const coordinatorNode = async (bootstrap: string) =>
  (await partitionLeaders(bootstrap, '__consumer_offsets')).get(0)!;

describe('ingest on a 3-broker cluster', () => {
  it('the group coordinator SIGKILLed mid-stream and restarted: every event stored once', async () => {
    const brokers = cluster.bootstrap.split(',');
    const topic = uniqueTopicName('ingest-failover');
    const baseGroup = uniqueTopicName('ingest-failover-group');
    const groupId = ingestGroupId(baseGroup, topic);
    const events = makeEvents(90_000, 60);
    const bus = new KafkaBus({ ...KAFKA_BUS_DEFAULTS, brokers, log: () => undefined });
    await bus.ensureTopics([...magicportTopics(), { topic, partitions: 6 }]);
    // While a broker is down the test's own admin client may fail to reach the coordinator
    // too: that is no answer yet (-1), not a failure of the ingest.
    const total = async () => {
      try {
        return await committedTotal(brokers, groupId, topic);
      } catch {
        return -1n;
      }
    };
    // Published before: the publisher's own failover is the recorder's test, not this one's.
    await bus.publish(topic, events.records);
    // Small ranges: many records and commits, so the kill lands among them.
    const ingest = await startTestIngest(brokers, ch.store, {
      groupId: baseGroup,
      topics: [topic],
      maxRangeRows: 1_000,
    });
    let killed: number;
    let atKill: bigint;
    try {
      await waitFor('some progress', async () => (await total()) >= 10_000n, 60_000, 50);
      killed = await coordinatorNode(cluster.bootstrap);
      atKill = await total();
      cluster.kill(killed);
      await new Promise((resolve) => setTimeout(resolve, 5_000));
      await cluster.restart(killed);
      await waitFor('everything committed', async () => (await total()) === 90_000n, 180_000, 250);
    } finally {
      await ingest.stop();
      await bus.close();
    }
    expect([1, 2, 3]).toContain(killed);
    // The kill landed mid-stream, not after the end.
    expect(atKill).toBeGreaterThanOrEqual(10_000n);
    expect(atKill).toBeLessThan(90_000n);
    const stored = await storedCounts(ch.store, events.dms);
    expect(stored.byType).toEqual(events.byType);
    expect(stored.duplicates).toBe(0);
  }, 400_000);
});
