import { Partitioners, type ICustomPartitioner } from 'kafkajs';

/**
 * How many keys each cache below remembers. A fleet has thousands of guests (one key each);
 * past the cap the oldest entry goes, so a stream of ever-new keys cannot grow memory.
 */
export const KEY_CACHE_LIMIT = 100_000;

function remember<K, V>(map: Map<K, V>, key: K, value: V, limit: number): void {
  if (map.size >= limit) map.delete(map.keys().next().value as K);
  map.set(key, value);
}

/**
 * The UTF-8 bytes of each record key, made once per key. Given a string key kafkajs converts
 * it to a Buffer for every record, twice (murmur2 hash, record encoding); a Buffer it uses as is.
 * The Buffers handed out are shared: never write into them.
 */
export class KeyBuffers {
  private readonly buffers = new Map<string, Buffer>();

  constructor(private readonly limit = KEY_CACHE_LIMIT) {}

  get(key: string): Buffer {
    let buffer = this.buffers.get(key);
    if (buffer === undefined) {
      buffer = Buffer.from(key, 'utf8');
      remember(this.buffers, key, buffer, this.limit);
    }
    return buffer;
  }
}

/**
 * kafkajs's `Partitioners.DefaultPartitioner` (Java's murmur2 partitioner, so every producer of
 * a key agrees on its partition), remembering its answer per topic, partition count and key:
 * kafkajs hashes every record's key with 64-bit `Long` arithmetic, a fifth of the produce CPU.
 * Keyless records and records with an explicit partition go to the default partitioner as they
 * are. String keys are remembered by value, Buffer keys by identity (as `KeyBuffers` hands them
 * out), so a Buffer key must not be rewritten after its first send.
 */
export function createMemoPartitioner(limit = KEY_CACHE_LIMIT): ICustomPartitioner {
  return () => {
    const partitioner = Partitioners.DefaultPartitioner();
    const topics = new Map<string, { partitions: number; byKey: Map<Buffer | string, number> }>();
    return (args) => {
      const { topic, partitionMetadata, message } = args;
      const key = message.key;
      if (key === null || key === undefined || message.partition != null) return partitioner(args);
      let memo = topics.get(topic);
      // A topic that gained partitions maps keys anew, as the default partitioner would.
      if (memo === undefined || memo.partitions !== partitionMetadata.length) {
        memo = { partitions: partitionMetadata.length, byKey: new Map() };
        topics.set(topic, memo);
      }
      let partition = memo.byKey.get(key);
      if (partition === undefined) {
        partition = partitioner(args);
        remember(memo.byKey, key, partition, limit);
      }
      return partition;
    };
  };
}

/** The partitions of a `partitions`-partition topic that the producer sends `keys` to. */
export function partitionsOfKeys(keys: Iterable<string>, partitions: number): Set<number> {
  const partitioner = Partitioners.DefaultPartitioner();
  const partitionMetadata = Array.from({ length: partitions }, (_, partitionId) => ({
    partitionId,
    leader: 0,
    partitionErrorCode: 0,
    replicas: [],
    isr: [],
  }));
  const out = new Set<number>();
  for (const key of keys)
    out.add(partitioner({ topic: '', partitionMetadata, message: { key, value: null } }));
  return out;
}
