/**
 * Kafka for integration tests: the brokers the global setup chose, names that never collide
 * between tests or runs, and the broker's own ApiVersions answer.
 */
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { Kafka, logLevel } from 'kafkajs';
import { inject } from 'vitest';
import '../setup/provided-context';

export function testKafkaBrokers(): string[] {
  return inject('kafkaBrokers').split(',');
}

/** `<label>-<time>-<random>`: unique per call, valid as a topic or group id (max 249 chars). */
export function uniqueTopicName(label: string): string {
  const safe = label.replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 200);
  return `${safe}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}

/**
 * A kafkajs client on the test brokers. Silent: kafkajs logs retried, transient errors (a group
 * coordinator still loading) at ERROR level, and the tests' assertions say what went wrong.
 */
export function testKafka(clientId: string): Kafka {
  return new Kafka({ clientId, brokers: testKafkaBrokers(), logLevel: logLevel.NOTHING });
}

export interface ApiVersionRange {
  min: number;
  max: number;
}

const apiVersionsKey = 18;

/**
 * Asks one broker which request versions it serves (ApiVersions v0, the request every client
 * sends first). kafkajs keeps that answer internal, so this speaks the few bytes of it directly.
 */
export function brokerApiVersions(
  address: string,
  timeoutMs = 10_000,
): Promise<Map<number, ApiVersionRange>> {
  const [host = '', port = ''] = splitHostPort(address);
  const clientId = Buffer.from('magicport-test');
  const request = Buffer.alloc(14 + clientId.length);
  request.writeInt32BE(request.length - 4, 0); // size
  request.writeInt16BE(apiVersionsKey, 4);
  request.writeInt16BE(0, 6); // version
  request.writeInt32BE(1, 8); // correlation id
  request.writeInt16BE(clientId.length, 12);
  clientId.copy(request, 14);
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port: Number(port) });
    socket.setTimeout(timeoutMs, () =>
      socket.destroy(new Error(`no ApiVersions answer from ${address} in ${timeoutMs} ms`)),
    );
    let received = Buffer.alloc(0);
    socket.on('error', reject);
    socket.on('connect', () => socket.write(request));
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk]);
      if (received.length < 4 || received.length < 4 + received.readInt32BE(0)) return;
      socket.end();
      try {
        resolve(decodeApiVersions(received, address));
      } catch (err) {
        reject(err);
      }
    });
  });
}

function decodeApiVersions(response: Buffer, address: string): Map<number, ApiVersionRange> {
  const errorCode = response.readInt16BE(8);
  if (errorCode !== 0)
    throw new Error(`ApiVersions from ${address} failed with error code ${errorCode}`);
  const count = response.readInt32BE(10);
  const ranges = new Map<number, ApiVersionRange>();
  for (let i = 0; i < count; i++) {
    const at = 14 + i * 6;
    ranges.set(response.readInt16BE(at), {
      min: response.readInt16BE(at + 2),
      max: response.readInt16BE(at + 4),
    });
  }
  return ranges;
}

function splitHostPort(address: string): [string, string] {
  const match = /^\[?([^\]]+?)\]?:(\d+)$/.exec(address);
  if (!match) throw new Error(`broker address must be host:port, got "${address}"`);
  return [match[1]!, match[2]!];
}

/**
 * The node (1-based) leading each partition of `topic`, asked of any node of `bootstrap`. A node
 * learns of a topic created a moment ago a little after the controller (longer on a loaded
 * machine) and answers UNKNOWN_TOPIC_OR_PARTITION meanwhile: that is retried for up to 30 s.
 */
export async function partitionLeaders(
  bootstrap: string,
  topic: string,
): Promise<Map<number, number>> {
  const kafka = new Kafka({ brokers: bootstrap.split(','), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
        return new Map(topics[0]!.partitions.map((p) => [p.partitionId, p.leader]));
      } catch (error) {
        const unknown = (error as { type?: string }).type === 'UNKNOWN_TOPIC_OR_PARTITION';
        if (!unknown || attempt >= 60) throw error;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  } finally {
    await admin.disconnect();
  }
}
