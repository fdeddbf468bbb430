/**
 * The publish worker of `WorkerBus`: a thread with its own KafkaBus, so kafkajs's per-record
 * CPU runs beside the caller's thread instead of on it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { KafkaBus, type KafkaBusConfig } from './kafka-bus';
import { unpackRecords } from './record-pack';

/** The KafkaBus config without `log`: a function cannot cross threads. */
export type PublishWorkerData = Omit<KafkaBusConfig, 'log'>;

export type ToPublishWorker =
  | { type: 'publish'; id: number; topic: string; packed: ArrayBuffer }
  | { type: 'publishFramed'; id: number; topic: string; framed: ArrayBuffer; count: number }
  | { type: 'close' };

export type FromPublishWorker =
  | { type: 'published'; id: number }
  | { type: 'failed'; id: number; name: string; message: string }
  | { type: 'log'; line: string }
  | { type: 'closed'; error?: string };

const port = parentPort;
if (!port) throw new Error('publish-worker runs only as a worker thread (see WorkerBus)');
const post = (message: FromPublishWorker): void => port.postMessage(message);

const bus = new KafkaBus({
  ...(workerData as PublishWorkerData),
  log: (line) => post({ type: 'log', line }),
});

port.on('message', (message: ToPublishWorker) => {
  if (message.type === 'publish' || message.type === 'publishFramed') {
    const { id } = message;
    // Messages arrive in the caller's order and KafkaBus queues publishes in call order.
    const published =
      message.type === 'publish'
        ? bus.publish(message.topic, unpackRecords(message.packed))
        : bus.publishFramed(message.topic, {
            chunks: [Buffer.from(message.framed)],
            count: message.count,
          });
    published.then(
      () => post({ type: 'published', id }),
      (err: unknown) =>
        post({
          type: 'failed',
          id,
          name: err instanceof Error ? err.name : 'Error',
          message: err instanceof Error ? err.message : String(err),
        }),
    );
  } else {
    bus.close().then(
      () => post({ type: 'closed' }),
      (err: unknown) =>
        post({ type: 'closed', error: err instanceof Error ? err.message : String(err) }),
    );
  }
});
