/** The delivery checks the recorder tests rest on, shown failing on each kind of bad stream. */
import { describe, expect, it } from 'vitest';
import type { GuestEvent } from '@magicport/events';
import type { DeliveredRecord } from '../support/recorder';
import { checkDelivery } from './delivery-check';

interface At {
  dm?: string;
  seq: number;
  partition?: number;
  offset: number;
  type?: string;
  key?: string;
  body?: string;
}

/** A record as read back: only the fields the checks look at are filled in. */
function delivered({
  dm = 'dm-a',
  seq,
  partition = 0,
  offset,
  type = 'port.access',
  key,
  body,
}: At) {
  const vm = `vm-of-${dm}`;
  const event = { id: `${dm}:${seq}`, dm, seq, vm, type } as unknown as GuestEvent;
  const value = Buffer.from(body ?? JSON.stringify(event));
  return { partition, offset: BigInt(offset), key: key ?? vm, value, event } as DeliveredRecord;
}

const stream = (dm: string, partition: number, seqs: number[], firstOffset = 0) =>
  seqs.map((seq, i) => delivered({ dm, seq, partition, offset: firstOffset + i }));

describe('checkDelivery', () => {
  it('passes gapless streams in order and counts distinct events by type', () => {
    const records = [
      delivered({ seq: 0, offset: 0, type: 'dm.started' }),
      delivered({ seq: 1, offset: 1 }),
      delivered({ seq: 2, offset: 2, type: 'dm.stopped' }),
      ...stream('dm-b', 3, [0, 1]),
    ];
    expect(checkDelivery(records, new Set(['dm-a', 'dm-b']))).toEqual({
      eventsByType: { 'dm.started': 1, 'dm.stopped': 1, 'port.access': 3 },
      distinct: 5,
      duplicates: [],
      problems: [],
      streamLengths: { 'dm-a': 3, 'dm-b': 2 },
    });
  });

  it('names a gap, a reordering and a planned dm that delivered nothing', () => {
    const records = [...stream('dm-a', 0, [0, 2]), ...stream('dm-b', 1, [1, 0])];
    expect(checkDelivery(records, new Set(['dm-a', 'dm-b', 'dm-c'])).problems).toEqual([
      'dm-a: seq 2 at 0@1 where 1 was due',
      'dm-b: seq 1 at 1@0 where 0 was due',
      'dm-b: seq 0 at 1@1 where 2 was due',
      'dm-c: nothing delivered',
    ]);
  });

  it('tells byte-identical re-sends from duplicates whose bytes differ', () => {
    const records = [
      ...stream('dm-a', 0, [0, 1]),
      delivered({ seq: 0, offset: 2 }),
      delivered({ seq: 1, offset: 3, body: '{"changed":true}' }),
      delivered({ seq: 2, offset: 4 }),
    ];
    const check = checkDelivery(records, new Set(['dm-a']));
    expect(check.duplicates).toEqual([
      { id: 'dm-a:0', first: '0@0', again: '0@2', identical: true },
      { id: 'dm-a:1', first: '0@1', again: '0@3', identical: false },
    ]);
    expect([check.distinct, check.problems]).toEqual([3, []]);
  });

  it('names a guest split over partitions and a record keyed by something else than its vm', () => {
    const records = [
      delivered({ seq: 0, partition: 0, offset: 7 }),
      delivered({ seq: 1, partition: 5, offset: 9, key: 'other' }),
    ];
    expect(checkDelivery(records, new Set(['dm-a'])).problems).toEqual([
      'dm-a:1 at 5@9: key other, vm vm-of-dm-a',
      'vm vm-of-dm-a on partitions 0,5',
    ]);
  });
});
