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

  it('a Mini-OS stubdomain console: guest and unattributed lines reach Kafka with their attribution and bracketed times', async () => {
    await bus.ensureTopics(magicportTopics());
    const before = await bus.endOffsets(EVENTS_TOPIC);
    const journalDir = await mkdtemp(join(tmpdir(), 'magicport-tap-int-'));
    const agent = await Agent.open({ host: 'host-1', journalDir, maxQueuedEvents: 10_000 }, bus);
    await agent.blacklist.ready;
    const dm = uniqueTopicName('tap-int');
    const result = await runTap(
      agent,
      tapOptions(join(TRACES, 'qubes-gplpv.mini-os-stubdom-dm.log'), { dm }),
    );
    await agent.close(60_000, 0);
    expect(result).toMatchObject({ format: 'qubes-stubdom', profile: 'qemu-traditional' });

    const events = await readBack(dm, before);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, seq) => seq));
    const logs = events.flatMap((e) =>
      e.type === 'guest.log' ? [[e.time, e.data.attribution ?? 'guest', e.data.text]] : [],
    );
    expect(logs).toEqual([
      ['2026-01-14T10:20:41.000000Z', 'guest', '13412340041527: XenPCI --> DriverEntry'],
      ['2026-01-14T10:20:41.000000Z', 'guest', '13412340041529: XenPCI     qemu version = 1'],
      [
        '2026-01-14T10:20:41.000000Z',
        'guest',
        '13412340041533: XenPCI     disabled qemu devices 03',
      ],
      ['2026-01-14T10:20:41.000000Z', 'guest', '13412340041540: XenPCI <-- DriverEntry'],
      [
        '2026-01-14T10:20:42.000000Z',
        'unattributed',
        'Notice: the guest wrote this line with no driver prefix',
      ],
      ['2026-01-14T10:20:42.000001Z', 'unattributed', 'wrapped tail of a console line'],
      ['2026-01-14T10:20:43.000000Z', 'guest', '13412340043012: XenVbd --> DriverEntry'],
      ['2026-01-14T10:20:44.000000Z', 'guest', '13412340044250: XenNet --> DriverEntry'],
    ]);
    expect(events[0]!.data).toMatchObject({ source: 'qemu-dm-log', profile: 'qemu-traditional' });
  });
});
