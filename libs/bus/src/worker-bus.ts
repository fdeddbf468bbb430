import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { KafkaBus, type KafkaBusConfig } from './kafka-bus';
import type { FromPublishWorker, PublishWorkerData, ToPublishWorker } from './publish-worker';
import type { FramedRecords } from './framed-records';
import { packRecords } from './record-pack';
import { PublishOutcomeUnknownError, type BusRecord } from './types';

interface Outstanding {
  resolve(): void;
  reject(err: Error): void;
}

/** One publish worker thread and the publishes it has not answered yet. */
interface PublishThread {
  worker: Worker;
  outstanding: Map<number, Outstanding>;
  /** Set while `close` waits for the worker's KafkaBus to close. */
  onClosed: ((error: string | undefined) => void) | null;
}

/**
 * Compiled, this module is dist/worker-bus.js beside dist/publish-worker.js. Run from source
 * (Vitest, tsx) it is worker-bus.ts, and the worker loads publish-worker.ts through tsx's
 * require hook: on Node 20 the parent's `--import tsx` hooks do not reach a worker, and an
 * inherited `--import` makes the worker load its entry as ESM, which refuses a .ts file.
 */
function publishWorkerEntry(): { file: string; execArgv?: string[] } {
  if (!__filename.endsWith('.ts')) return { file: join(__dirname, 'publish-worker.js') };
  return {
    file: join(__dirname, 'publish-worker.ts'),
    execArgv: ['--require', require.resolve('tsx/cjs')],
  };
}

/**
 * A Kafka bus whose publishes run in a worker thread with its own KafkaBus, so kafkajs's CPU
 * per record (2-3 µs, gzip included) is spent beside the caller's thread rather than on it. Every other Bus
 * method, present or added later, is the inherited KafkaBus's on the calling thread (consumers
 * stay there). Records cross as one transferred ArrayBuffer per publish; publishes keep their
 * call order.
 */
export class WorkerBus extends KafkaBus {
  // Names unlike KafkaBus's private members, which a subclass must not redeclare.
  private readonly threadConfig: PublishWorkerData;
  private readonly threadLog: (line: string) => void;
  private publishThread: PublishThread | null = null;
  private nextPublishId = 0;
  private closingThread: Promise<void> | null = null;

  constructor(config: KafkaBusConfig) {
    super(config);
    const { log, ...workerData } = config;
    this.threadConfig = workerData;
    this.threadLog = log ?? ((line) => process.stderr.write(`${line}\n`));
  }

  override publish(topic: string, records: readonly BusRecord[]): Promise<void> {
    if (records.length === 0) return Promise.resolve();
    return this.sendToThread((id) => ({
      type: 'publish',
      id,
      topic,
      packed: packRecords(records),
    }));
  }

  /** The frames cross as they are, copied once into the transferred buffer. */
  override publishFramed(topic: string, batch: FramedRecords): Promise<void> {
    if (batch.count === 0) return Promise.resolve();
    return this.sendToThread((id) => {
      let bytes = 0;
      for (const chunk of batch.chunks) bytes += chunk.length;
      const framed = new ArrayBuffer(bytes);
      const into = new Uint8Array(framed);
      let at = 0;
      for (const chunk of batch.chunks) {
        into.set(chunk, at);
        at += chunk.length;
      }
      return { type: 'publishFramed', id, topic, framed, count: batch.count };
    });
  }

  private sendToThread(
    message: (id: number) => Extract<ToPublishWorker, { id: number }>,
  ): Promise<void> {
    if (this.closingThread) return Promise.reject(new Error('publish on a closed WorkerBus'));
    const thread = (this.publishThread ??= this.startThread());
    const id = this.nextPublishId++;
    return new Promise<void>((resolve, reject) => {
      const m = message(id);
      thread.outstanding.set(id, { resolve, reject });
      thread.worker.postMessage(m, [m.type === 'publish' ? m.packed : m.framed]);
    });
  }

  /**
   * Like KafkaBus.close: the worker's KafkaBus sends what is queued and closes, then the thread
   * ends and the calling thread's KafkaBus closes, leaving nothing that keeps the process alive.
   */
  override close(): Promise<void> {
    this.closingThread ??= this.closeThreadThenBus();
    return this.closingThread;
  }

  /** Ends the publish thread as a crash would (for tests): its outstanding publishes reject. */
  async terminateWorker(): Promise<void> {
    await this.publishThread?.worker.terminate();
  }

  private async closeThreadThenBus(): Promise<void> {
    const thread = this.publishThread;
    this.publishThread = null;
    let error: string | undefined;
    if (thread) {
      // Publishes were posted before this message, so their answers all arrive before 'closed'.
      error = await new Promise<string | undefined>((resolve) => {
        thread.onClosed = resolve;
        const message: ToPublishWorker = { type: 'close' };
        thread.worker.postMessage(message);
      });
      await thread.worker.terminate();
    }
    await super.close();
    if (error !== undefined) throw new Error(error);
  }

  private startThread(): PublishThread {
    const { file, execArgv } = publishWorkerEntry();
    const worker = new Worker(file, { workerData: this.threadConfig, execArgv });
    const thread: PublishThread = { worker, outstanding: new Map(), onClosed: null };
    const settle = (id: number, error: Error | null): void => {
      const outstanding = thread.outstanding.get(id);
      thread.outstanding.delete(id);
      if (error) outstanding?.reject(error);
      else outstanding?.resolve();
    };
    // A dead worker fails what it still held; the next publish starts a fresh one.
    const die = (reason: string): void => {
      if (this.publishThread === thread) this.publishThread = null;
      for (const outstanding of thread.outstanding.values())
        outstanding.reject(new PublishOutcomeUnknownError(reason));
      thread.outstanding.clear();
      thread.onClosed?.(undefined);
    };
    worker.on('message', (message: FromPublishWorker) => {
      switch (message.type) {
        case 'published':
          return settle(message.id, null);
        case 'failed':
          // The one error class callers act on crosses the thread as itself.
          return settle(
            message.id,
            message.name === 'PublishOutcomeUnknownError'
              ? new PublishOutcomeUnknownError(message.message)
              : Object.assign(new Error(message.message), { name: message.name }),
          );
        case 'log':
          return this.threadLog(message.line);
        case 'closed':
          return thread.onClosed?.(message.error);
      }
    });
    worker.on('error', (err) => die(`publish worker failed: ${err.message}`));
    worker.on('exit', (code) => die(`publish worker exited with code ${code}`));
    return thread;
  }
}
