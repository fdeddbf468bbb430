import { randomUUID } from 'node:crypto';
import { Partitioners, type PartitionMetadata } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { createMemoPartitioner, KeyBuffers } from '../src/partitioner';

const metadata = (count: number): PartitionMetadata[] =>
  Array.from({ length: count }, (_, partitionId) => ({
    partitionId,
    leader: 1,
    partitionErrorCode: 0,
    replicas: [1],
    isr: [1],
  }));

describe('createMemoPartitioner', () => {
  it("gives every key the default partitioner's partition, for 6 and 12 partitions, string and Buffer keys, asked twice", () => {
    const keys = Array.from({ length: 10_000 }, () => randomUUID());
    const buffers = new KeyBuffers();
    const reference = Partitioners.DefaultPartitioner();
    const memo = createMemoPartitioner()();
    for (const count of [6, 12]) {
      const partitionMetadata = metadata(count);
      const expected = keys.map((key) =>
        reference({ topic: 't', partitionMetadata, message: { key, value: null } }),
      );
      for (let round = 0; round < 2; round++) {
        const fromStrings = keys.map((key) =>
          memo({ topic: 't', partitionMetadata, message: { key, value: null } }),
        );
        const fromBuffers = keys.map((key) =>
          memo({ topic: 't', partitionMetadata, message: { key: buffers.get(key), value: null } }),
        );
        expect(fromStrings).toEqual(expected);
        expect(fromBuffers).toEqual(expected);
      }
      // Every partition gets keys (the answers are not all one cached value).
      expect(new Set(expected).size).toBe(count);
    }
  });

  it('follows a topic that grows from 6 to 12 partitions', () => {
    const memo = createMemoPartitioner()();
    const reference = Partitioners.DefaultPartitioner();
    const keys = Array.from({ length: 1_000 }, (_, i) => `vm-${i}`);
    const ask = (p: typeof memo, count: number) =>
      keys.map((key) =>
        p({ topic: 't', partitionMetadata: metadata(count), message: { key, value: null } }),
      );
    ask(memo, 6);
    expect(ask(memo, 12)).toEqual(ask(reference, 12));
  });

  it('honours an explicit partition and spreads keyless records round-robin', () => {
    const memo = createMemoPartitioner()();
    const partitionMetadata = metadata(12);
    expect(
      memo({ topic: 't', partitionMetadata, message: { key: 'k', partition: 7, value: null } }),
    ).toBe(7);
    const keyless = Array.from({ length: 12 }, () =>
      memo({ topic: 't', partitionMetadata, message: { value: null } }),
    );
    expect(new Set(keyless).size).toBe(12);
  });

  it('remembers at most its limit of keys and stays correct past it', () => {
    const memo = createMemoPartitioner(10)();
    const reference = Partitioners.DefaultPartitioner();
    const partitionMetadata = metadata(12);
    const keys = Array.from({ length: 100 }, (_, i) => `vm-${i}`);
    for (let round = 0; round < 3; round++)
      for (const key of keys)
        expect(memo({ topic: 't', partitionMetadata, message: { key, value: null } })).toBe(
          reference({ topic: 't', partitionMetadata, message: { key, value: null } }),
        );
  });
});

describe('KeyBuffers', () => {
  it('hands out one UTF-8 Buffer per key and makes a new one only after the key was dropped', () => {
    const buffers = new KeyBuffers(2);
    const a = buffers.get('vm-ä');
    expect(a).toEqual(Buffer.from('vm-ä', 'utf8'));
    expect(a.length).toBe(5);
    expect(buffers.get('vm-ä')).toBe(a);
    buffers.get('vm-b');
    buffers.get('vm-c'); // drops the oldest, vm-ä
    const again = buffers.get('vm-ä');
    expect(again).not.toBe(a);
    expect(again).toEqual(a);
  });
});
