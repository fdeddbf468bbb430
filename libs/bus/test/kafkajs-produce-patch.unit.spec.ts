/**
 * Our patch of kafkajs 2.2.4's produce path (patches/kafkajs+2.2.4.patch): records encoded in one
 * pass into one buffer, O(n) grouping per partition, a table-driven CRC32C. What reaches the
 * broker must not change, so the request is decoded with kafkajs's own decoders, compared byte
 * for byte with kafkajs's per-record encoder, and its CRC checked with kafkajs's byte-wise CRC.
 */
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

const require = createRequire(import.meta.url);

interface EncoderLike {
  buffer: Buffer;
}
interface DecoderLike {
  offset: number;
  readInt16(): number;
  readInt32(): number;
  readString(): string | null;
  readBytes(): Buffer;
}
interface Message {
  key?: Buffer | string | null;
  value: Buffer | string | null;
  headers?: Record<string, string | Buffer | Array<string | Buffer>>;
  timestamp?: string;
}
interface DecodedBatch {
  firstOffset: string;
  firstTimestamp: string;
  maxTimestamp: string;
  producerId: string;
  producerEpoch: number;
  firstSequence: number;
  lastOffsetDelta: number;
  inTransaction: boolean;
  records: Array<{
    offset: string;
    timestamp: string;
    key: Buffer | null;
    value: Buffer | null;
    headers: Record<string, Buffer | Buffer[]>;
  }>;
}

const kafkajs = (path: string): unknown => require(`kafkajs/src/${path}`);
const produceRequest = kafkajs('protocol/requests/produce/v3/request') as (args: object) => {
  encode(): Promise<EncoderLike>;
};
const Decoder = kafkajs('protocol/decoder') as new (buffer: Buffer) => DecoderLike;
const decodeRecordBatch = kafkajs('protocol/recordBatch/v0/decoder') as (
  decoder: DecoderLike,
) => Promise<DecodedBatch>;
const { RecordBatch } = kafkajs('protocol/recordBatch/v0') as {
  RecordBatch(args: object): Promise<EncoderLike>;
};
const Record = kafkajs('protocol/recordBatch/record/v0') as (args: object) => EncoderLike;
const byteWiseCrc32C = kafkajs('protocol/recordBatch/crc32C/crc32C') as (b: Buffer) => number;
const crc32C = kafkajs('protocol/recordBatch/crc32C') as (b: Buffer) => number;
const groupMessagesPerPartition = kafkajs('producer/groupMessagesPerPartition') as (args: {
  topic: string;
  partitionMetadata: object[];
  messages: Message[];
  partitioner: (args: { message: Message }) => number;
}) => Record<string, Message[]>;
const Long = kafkajs('utils/long') as { fromValue(v: number | string): unknown };
const { Types } = kafkajs('protocol/message/compression') as { Types: Record<string, number> };

const NOW = 1_767_225_600_123; // the faked Date.now(): kafkajs stamps records without a timestamp

// Every shape a message can take: Buffer, string (multi-byte too) and null keys and values, no
// key at all, headers with string, Buffer and repeated values, explicit timestamps.
const messages: Message[] = [
  { key: Buffer.from('6f1c2b1e-3c4d-4e5f-8a9b-000000000001'), value: Buffer.from('{"seq":1}') },
  { key: 'vm-ä', value: 'wert-ü€' },
  { key: null, value: Buffer.alloc(0) },
  { value: null },
  {
    key: 'h',
    value: 'v',
    headers: { trace: 'abc', bin: Buffer.from([0, 255]), many: ['1', '22'] },
  },
  { key: 'empty-headers', value: 'v', headers: {} },
  { key: Buffer.from('big'), value: randomBytes(70_000) }, // multi-byte varint lengths
];

async function encodePartitions(
  compression: number,
  partitions: Array<{ partition: number; firstSequence: number; messages: Message[] }>,
): Promise<Buffer> {
  const request = produceRequest({
    acks: -1,
    timeout: 30_000,
    producerId: Long.fromValue(4242),
    producerEpoch: 3,
    compression,
    topicData: [{ topic: 'magicport.events.v1', partitions }],
  });
  return (await request.encode()).buffer;
}

/** Reads back the Produce v3 request: each partition's raw record batch. */
function readRequest(buffer: Buffer): Map<number, Buffer> {
  const decoder = new Decoder(buffer);
  expect(decoder.readString()).toBeNull(); // transactional id
  expect(decoder.readInt16()).toBe(-1); // acks
  expect(decoder.readInt32()).toBe(30_000);
  expect(decoder.readInt32()).toBe(1); // topics
  expect(decoder.readString()).toBe('magicport.events.v1');
  const batches = new Map<number, Buffer>();
  for (let n = decoder.readInt32(); n > 0; n--) {
    const partition = decoder.readInt32();
    batches.set(partition, decoder.readBytes());
  }
  expect(decoder.offset).toBe(buffer.length);
  return batches;
}

/** The CRC a broker checks: CRC32C over attributes..end, computed the byte-wise way kafkajs did. */
function expectCrcValid(batch: Buffer): void {
  // firstOffset int64, length int32, partitionLeaderEpoch int32, magic int8, then the CRC
  expect(batch.readInt32BE(8)).toBe(batch.length - 12);
  expect(batch.readInt8(16)).toBe(2);
  expect(batch.readUInt32BE(17)).toBe(byteWiseCrc32C(batch.subarray(21)));
}

const bytes = (v: Buffer | string | null | undefined): Buffer | null =>
  v == null ? null : Buffer.isBuffer(v) ? v : Buffer.from(v, 'utf8');

describe('patched kafkajs produce encoding', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'], now: NOW });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  for (const [name, compression] of [
    ['uncompressed', Types.None!],
    ['gzip', Types.GZIP!],
  ] as const) {
    it(`decodes with kafkajs's decoder to the exact records, ${name}`, async () => {
      const buffer = await encodePartitions(compression, [
        { partition: 5, firstSequence: 17, messages },
        { partition: 0, firstSequence: 0, messages: messages.slice(0, 2) },
      ]);
      const batches = readRequest(buffer);
      expect([...batches.keys()]).toEqual([5, 0]);

      const batch5 = batches.get(5)!;
      expectCrcValid(batch5);
      const decoded = await decodeRecordBatch(new Decoder(batch5));
      expect(decoded).toMatchObject({
        firstOffset: '0',
        firstTimestamp: String(NOW),
        maxTimestamp: String(NOW),
        producerId: '4242',
        producerEpoch: 3,
        firstSequence: 17,
        lastOffsetDelta: messages.length - 1,
        inTransaction: false,
      });
      expect(decoded.records.map((r) => [r.offset, r.timestamp])).toEqual(
        messages.map((_, i) => [String(i), String(NOW)]),
      );
      expect(decoded.records.map((r) => r.key)).toEqual(messages.map((m) => bytes(m.key)));
      expect(decoded.records.map((r) => r.value)).toEqual(messages.map((m) => bytes(m.value)));
      expect(decoded.records.map((r) => r.headers)).toEqual([
        {},
        {},
        {},
        {},
        {
          trace: Buffer.from('abc'),
          bin: Buffer.from([0, 255]),
          many: [Buffer.from('1'), Buffer.from('22')],
        },
        {},
        {},
      ]);

      const batch0 = batches.get(0)!;
      expectCrcValid(batch0);
      const decoded0 = await decodeRecordBatch(new Decoder(batch0));
      expect(decoded0.firstSequence).toBe(0);
      expect(decoded0.records.map((r) => r.value?.toString())).toEqual(['{"seq":1}', 'wert-ü€']);
    });
  }

  it("is byte for byte kafkajs's per-record Record v0 encoding, timestamps and all", async () => {
    const stamped: Message[] = messages.map((m, i) => ({
      ...m,
      timestamp: String(NOW + i * 1_000),
    }));
    // kafkajs sorts timestamps as strings; a delta past 32 bits takes the 64-bit varlong path.
    stamped.push({ key: 'far', value: 'future', timestamp: '9999999999999' });
    stamped.push({ key: 'unstamped', value: 'now' });
    const [batch] = readRequest(
      await encodePartitions(Types.None!, [{ partition: 1, firstSequence: 9, messages: stamped }]),
    ).values();

    const first = NOW;
    const reference = await RecordBatch({
      records: stamped.map((m, i) =>
        Record({ ...m, offsetDelta: i, timestampDelta: Number(m.timestamp ?? NOW) - first }),
      ),
      firstTimestamp: String(first),
      maxTimestamp: '9999999999999',
      producerId: Long.fromValue(4242),
      producerEpoch: 3,
      firstSequence: 9,
      lastOffsetDelta: stamped.length - 1,
    });
    expect(batch!.equals(reference.buffer)).toBe(true);
    expectCrcValid(batch!);
    const decoded = await decodeRecordBatch(new Decoder(batch!));
    expect(decoded.records.map((r) => r.timestamp)).toEqual(
      stamped.map((m) => m.timestamp ?? String(NOW)),
    );
  });
});

describe('patched kafkajs CRC32C', () => {
  it('equals the byte-wise CRC32C for every length up to 64 and for 1 MiB', () => {
    const data = randomBytes(1 << 20);
    for (let length = 0; length <= 64; length++) {
      const slice = data.subarray(7, 7 + length);
      expect(crc32C(slice)).toBe(byteWiseCrc32C(slice));
    }
    expect(crc32C(data)).toBe(byteWiseCrc32C(data));
    // The check value of CRC-32C (Castagnoli): "123456789" -> 0xe3069283
    expect(crc32C(Buffer.from('123456789'))).toBe(0xe3069283);
  });
});

describe('patched kafkajs groupMessagesPerPartition', () => {
  it('keeps each partition in send order', () => {
    const sent: Message[] = Array.from({ length: 10_000 }, (_, i) => ({
      key: `vm-${i % 37}`,
      value: String(i),
    }));
    const partitionOf = (m: Message) => Number(String(m.key).slice(3)) % 12;
    const grouped = groupMessagesPerPartition({
      topic: 't',
      partitionMetadata: [{}],
      messages: sent,
      partitioner: ({ message }) => partitionOf(message),
    });
    expect(Object.keys(grouped)).toEqual(Array.from({ length: 12 }, (_, p) => String(p)));
    for (let p = 0; p < 12; p++)
      expect(grouped[p]).toEqual(sent.filter((m) => partitionOf(m) === p));
  });
});
