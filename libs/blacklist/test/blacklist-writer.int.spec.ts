/**
 * Two server replicas writing the blacklist at once, on the real broker: each replica has its
 * own KafkaBus (its own producer and scans), the topic has one partition as magicportTopics
 * provisions it, and both replicas have read the topic before either appends.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { KafkaBus, KAFKA_BUS_DEFAULTS, magicportTopics, type TopicSpec } from '@magicport/bus';
import { BLACKLIST_TOPIC } from '@magicport/events';
import { BlacklistWriter, readBlacklistTopic } from '@magicport/blacklist';
import { testKafkaBrokers, uniqueTopicName } from '../../../test/support/kafka';
import { add } from './blacklist-factory';
import { naiveWrite, publishRace } from './racing-bus';

const buses: KafkaBus[] = [];
afterEach(async () => {
  for (const bus of buses.splice(0)) await bus.close();
});

function replica(): KafkaBus {
  const bus = new KafkaBus({
    ...KAFKA_BUS_DEFAULTS,
    brokers: testKafkaBrokers(),
    log: () => undefined,
  });
  buses.push(bus);
  return bus;
}

/** A fresh topic provisioned exactly like the blacklist topic (one partition, kept forever). */
async function blacklistTopic(bus: KafkaBus, label: string): Promise<string> {
  const spec = magicportTopics().find((t) => t.topic === BLACKLIST_TOPIC)!;
  expect(spec.partitions).toBe(1);
  const topic: TopicSpec = { ...spec, topic: uniqueTopicName(label) };
  await bus.ensureTopics([topic]);
  return topic.topic;
}

describe('concurrent blacklist writers on the real broker', () => {
  it('two replicas adding at once get distinct revisions and both entries are listed', async () => {
    const [one, two] = [replica(), replica()];
    const topic = await blacklistTopic(one, 'blacklist-race');
    const race = publishRace(topic, 2);
    const writer = (bus: KafkaBus, stream: string) =>
      new BlacklistWriter(race(bus), { host: stream, stream, topic });
    const [a, b] = await Promise.all([
      writer(one, 'replica-a').execute(add('linux', 1, 'boot loop', 'alice')),
      writer(two, 'replica-b').execute(add('gplpv-windows', 2, 'BSOD', 'bob')),
    ]);
    expect([a.event.data.revision, b.event.data.revision].sort()).toEqual([1, 2]);
    expect([a.attempts, b.attempts].sort()).toEqual([1, 2]);

    // A third reader, on its own connection, sees the same history.
    const { history, rejected } = await readBlacklistTopic(replica(), topic);
    expect(rejected).toEqual([]);
    const byRevision = [a.event.data, b.event.data].sort((x, y) => x.revision - y.revision);
    expect(history.changes.map((c) => [c.revision, c.key, c.actor, c.reason])).toEqual(
      byRevision.map((d) => [d.revision, d.key, d.actor, d.reason]),
    );
    expect([...history.current.entries.keys()].sort()).toEqual([
      '/mh/driver-blacklist/gplpv-windows/2',
      '/mh/driver-blacklist/linux/1',
    ]);
    expect(history.voided.map((e) => e.data.revision)).toEqual([1]);
  });

  it('control: naive writers (no re-read) publish the same revision and one entry is lost', async () => {
    const [one, two] = [replica(), replica()];
    const topic = await blacklistTopic(one, 'blacklist-naive');
    const race = publishRace(topic, 2);
    const [a, b] = await Promise.all([
      naiveWrite(race(one), topic, 'naive-a', add('linux', 1)),
      naiveWrite(race(two), topic, 'naive-b', add('gplpv-windows', 2)),
    ]);
    expect([a.data.revision, b.data.revision]).toEqual([1, 1]);
    const { history } = await readBlacklistTopic(replica(), topic);
    expect([history.current.entries.size, history.voided.length]).toEqual([1, 1]);
  });
});
