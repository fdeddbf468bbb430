import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { KafkaBus, KAFKA_BUS_DEFAULTS, magicportTopics } from '@magicport/bus';
import { decodeEvent, EVENTS_TOPIC, type GuestEvent } from '@magicport/events';
import { testKafka, testKafkaBrokers, uniqueTopicName } from '../../../test/support/kafka';
import { Agent } from '../src/agent';
import { runTap } from '../src/tap/run-tap';
import { outcomes, tapOptions, TRACES, VM } from './tap-harness';

/** Reads the events topic from the given offsets until `dm`'s dm.stopped; keys checked. */
async function readBack(dm: string, from: Map<number, string>): Promise<GuestEvent[]> {
  const consumer = testKafka('tap-int-reader').consumer({ groupId: uniqueTopicName('tap-int') });
  await consumer.connect();
  await consumer.subscribe({ topic: EVENTS_TOPIC, fromBeginning: false });
  const events: GuestEvent[] = [];
  const problems: string[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      consumer.on(consumer.events.CRASH, ({ payload }) => {
        if (!payload.restart) reject(payload.error);
      });
      void consumer.run({
        eachMessage: async ({ message }) => {
          const decoded = decodeEvent(message.value ?? Buffer.alloc(0));
          if (!decoded.ok) return void problems.push(decoded.reason);
          const event = decoded.event as GuestEvent;
          if (event.dm !== dm) return;
          if (message.key?.toString() !== event.vm)
            problems.push(`seq ${event.seq} keyed ${message.key}`);
          events.push(event);
          if (event.type === 'dm.stopped') resolve();
        },
      });
      for (const [partition, offset] of from)
        consumer.seek({ topic: EVENTS_TOPIC, partition, offset });
    });
  } finally {
    await consumer.disconnect();
  }
  expect(problems).toEqual([]);
  return events;
}

describe('dm tap into Kafka', () => {
  const bus = new KafkaBus({
    ...KAFKA_BUS_DEFAULTS,
    brokers: testKafkaBrokers(),
    clientId: 'tap-int',
  });
  afterAll(() => bus.close());

  it('publishes exactly the events of the trace: types in order, seqs gapless from 0, the outcome', async () => {
    await bus.ensureTopics(magicportTopics());
    const before = await bus.endOffsets(EVENTS_TOPIC);
    const journalDir = await mkdtemp(join(tmpdir(), 'magicport-tap-int-'));
    const agent = await Agent.open({ host: 'host-1', journalDir, maxQueuedEvents: 10_000 }, bus);
    await agent.blacklist.ready;
    const dm = uniqueTopicName('tap-int');
    const result = await runTap(
      agent,
      tapOptions(join(TRACES, 'win-pv-boot.upstream.trace'), { dm }),
    );
    await agent.close(60_000, 0);
    expect(result.report).toMatchObject({ lines: 133, unparseable: 0, events: 16 });

    const events = await readBack(dm, before);
    expect(events.map((e) => [e.seq, e.type])).toEqual(
      [
        'dm.started',
        'port.access', // ROMBIOS unlocks the ROM area...
        'port.access', // ...and locks it
        'guest.log', // xen.sys banner, before the magic read
        'port.access', // magic read
        'port.access', // version read
        'port.access', // product 0xffff
        'port.access', // build 590080
        'port.access', // re-check
        'guest.log', // UNPLUG: PRE-AMBLE
        'port.access', // mask 9
        'guest.log', // UNPLUG: DISKS
        'port.access', // mask 2
        'guest.log', // UNPLUG: NICS
        'handshake.outcome',
        'dm.stopped',
      ].map((type, seq) => [seq, type]),
    );
    expect(events.every((e) => e.vm === VM && e.host === 'host-1' && e.domid === 7)).toBe(true);
    expect(events[0]!.data).toMatchObject({ source: 'qemu-trace', profile: 'qemu-upstream' });
    expect(outcomes(events)).toMatchObject([
      {
        handshakeId: `${dm}#1`,
        result: 'unplugged',
        product: { number: 0xffff, name: 'experimental' },
        build: 590080,
        blacklisted: false,
        mask: 11,
        maskWrites: [9, 2],
        violations: ['log-before-magic'],
      },
    ]);
    expect(events.at(-1)!.data).toEqual({
      reason: 'agent-stop',
      detail: 'end of file (133 lines)',
    });
  });
});
