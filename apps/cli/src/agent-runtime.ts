import { hostname } from 'node:os';
import { mkdtemp, rm } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { basename, join, resolve } from 'node:path';
import {
  InProcessBus,
  KafkaBus,
  KAFKA_BUS_DEFAULTS,
  magicportTopics,
  WorkerBus,
  type Bus,
} from '@magicport/bus';
import { Agent } from '@magicport/device-model';
import { parseBrokerList } from './broker-list';
import { probeKafka } from './broker-probe';
import { removeDeadInProcessJournals } from './in-process-journals';
import { ensureDirectory } from './output-paths';

export interface AgentRuntimeOptions {
  /** Comma-separated Kafka bootstrap servers; empty = the in-process bus of the embedded mode. */
  brokers: string | undefined;
  journalDir: string;
  host: string;
  /** How long to wait for the blacklist view to catch up before refusing to start. */
  readyTimeoutMs: number;
  /** Kafka record batch compression (`MAGICPORT_KAFKA_COMPRESSION`, default gzip). */
  compression: 'gzip' | 'none';
  /**
   * Publish from a worker thread, so kafkajs's CPU per record is spent beside the guest path
   * instead of on its thread (`MAGICPORT_PUBLISH_WORKER`, default 1; 0 publishes in-thread).
   */
  publishWorker: boolean;
}

export interface AgentRuntime {
  bus: Bus;
  agent: Agent;
  /** Where events go, for messages: `kafka 127.0.0.1:9092` or `in-process`. */
  target: string;
  /** The journal in use: `--journal`, or the per-run folder inside it when in-process. */
  journalDir: string;
  close(drainTimeoutMs: number, stopTimeUs: number): Promise<void>;
}

/**
 * Per partition, what the in-process bus keeps of a topic nobody reads (a standalone
 * `simulate` or `dm tap`): the bus's default of 100,000 per partition held ~1 GB of a 12
 * partition events topic in a large run; a reader that subscribes later starts from here.
 */
const IN_PROCESS_RETAINED_RECORDS = 2_000;

/** Journals live under here, one directory per source (see `journalSourceId`). */
export const DEFAULT_JOURNAL_ROOT = './.magicport/agent-journal';

/** What a command's flags say about the source it records (tap: the file; simulate: the seed). */
export interface JournalSourceFlags {
  journal?: string;
  host?: string;
  /** dm tap */
  file?: string;
  vm?: string;
  dm?: string;
  /** simulate */
  seed?: number;
}

/**
 * The default journal directory's name for a source: a journal has one owner (the journal lock
 * refuses a second), so two taps or simulations started in one working directory each need
 * their own. A tap's is its stream id when given, else its file and guest; a simulation's is its
 * seed (two runs of one seed would record the same streams: they must not run at once).
 */
export function journalSourceId(flags: JournalSourceFlags): string {
  const safe = (text: string) => text.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 80);
  if (flags.dm) return `dm-${safe(flags.dm)}`;
  if (flags.file !== undefined) {
    const hash = createHash('sha256')
      .update(`${flags.host ?? ''}\n${flags.vm ?? ''}\n${resolve(flags.file)}`)
      .digest('hex')
      .slice(0, 12);
    return `tap-${safe(basename(flags.file))}-${hash}`;
  }
  if (flags.seed !== undefined) return `simulate-seed-${flags.seed}`;
  return 'default';
}

export function agentRuntimeOptions(
  flags: { brokers?: string; host?: string } & JournalSourceFlags,
  env: NodeJS.ProcessEnv = process.env,
): AgentRuntimeOptions {
  const compression = env.MAGICPORT_KAFKA_COMPRESSION || 'gzip';
  if (compression !== 'gzip' && compression !== 'none') {
    throw new Error(
      `MAGICPORT_KAFKA_COMPRESSION must be gzip or none (got ${JSON.stringify(compression)})`,
    );
  }
  const publishWorker = env.MAGICPORT_PUBLISH_WORKER || '1';
  if (publishWorker !== '0' && publishWorker !== '1') {
    throw new Error(
      `MAGICPORT_PUBLISH_WORKER must be 0 or 1 (got ${JSON.stringify(publishWorker)})`,
    );
  }
  const brokers = flags.brokers ?? (env.KAFKA_BROKERS || undefined);
  if (brokers !== undefined)
    parseBrokerList(brokers, flags.brokers === undefined ? 'KAFKA_BROKERS' : '--brokers');
  return {
    brokers,
    journalDir: resolve(flags.journal ?? join(DEFAULT_JOURNAL_ROOT, journalSourceId(flags))),
    host: flags.host ?? hostname(),
    readyTimeoutMs: 30_000,
    compression,
    publishWorker: publishWorker === '1',
  };
}

/**
 * Opens the bus (Kafka when brokers are given, else in-process), provisions the topics, and
 * starts the agent; resolves once the agent's blacklist view has caught up.
 */
export async function openAgentRuntime(
  options: AgentRuntimeOptions,
  log: (line: string) => void,
): Promise<AgentRuntime> {
  exitOnUnhandledRejection(log);
  const brokers = options.brokers === undefined ? [] : parseBrokerList(options.brokers);
  // Paths first: a journal that cannot exist fails before anything connects.
  await ensureDirectory(options.journalDir, '--journal');
  if (brokers.length > 0) await probeKafka(brokers, log);
  const kafkaConfig = {
    ...KAFKA_BUS_DEFAULTS,
    brokers,
    clientId: `magicport-agent-${options.host}`,
    compression: options.compression,
  };
  const bus: Bus =
    brokers.length === 0
      ? new InProcessBus({ retainWithoutReaders: IN_PROCESS_RETAINED_RECORDS })
      : options.publishWorker
        ? new WorkerBus(kafkaConfig)
        : new KafkaBus(kafkaConfig);
  const target = brokers.length > 0 ? `kafka ${brokers.join(',')}` : 'in-process';
  if (brokers.length === 0)
    log(
      'no Kafka brokers given (--brokers or KAFKA_BROKERS): events stay in this process (embedded mode)',
    );
  try {
    await bus.ensureTopics(magicportTopics());
  } catch (error) {
    await bus.close().catch(() => undefined);
    throw new Error(
      `cannot provision topics on ${target}: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
  // In-process, delivered events live only as long as this process: a journal kept across runs
  // would make a rerun "resume" streams whose events are gone. Each embedded run starts afresh,
  // in a folder named by its pid so that one left by a killed run can be told and removed.
  if (brokers.length === 0) await removeDeadInProcessJournals(options.journalDir);
  const journalDir =
    brokers.length > 0
      ? options.journalDir
      : await mkdtemp(join(options.journalDir, `in-process-${process.pid}-`));
  const agent = await Agent.open(
    { host: options.host, journalDir, maxQueuedEvents: 50_000, resumable: brokers.length > 0 },
    bus,
    log,
  ).catch(async (error: unknown) => {
    await bus.close().catch(() => undefined);
    if (brokers.length === 0) await rm(journalDir, { recursive: true, force: true });
    throw error;
  });
  const timeout = new Promise<never>((_, reject) =>
    setTimeout(
      () =>
        reject(
          new Error(
            `the blacklist view did not catch up within ${options.readyTimeoutMs} ms (${agent.readiness().reasons.join('; ')})`,
          ),
        ),
      options.readyTimeoutMs,
    ).unref(),
  );
  try {
    await Promise.race([agent.blacklist.ready, timeout]);
  } catch (error) {
    await agent.close(0, 0).catch(() => undefined);
    await bus.close().catch(() => undefined);
    if (brokers.length === 0) await rm(journalDir, { recursive: true, force: true });
    throw error;
  }
  return {
    bus,
    agent,
    target,
    journalDir,
    close: async (drainTimeoutMs, stopTimeUs) => {
      // Whatever fails, the bus closes and an in-process journal goes: nothing may keep the
      // process alive or pile up after an error.
      try {
        await agent.close(drainTimeoutMs, stopTimeUs);
      } finally {
        try {
          await bus.close();
        } finally {
          if (brokers.length === 0) await rm(journalDir, { recursive: true, force: true });
        }
      }
    },
  };
}

let guarded = false;

/**
 * A rejection nobody handled is a bug, and the state it leaves is unknown: it is logged with its
 * stack and the process exits non-zero (70, EX_SOFTWARE). The journal keeps what was not
 * delivered for the next start.
 */
function exitOnUnhandledRejection(log: (line: string) => void): void {
  if (guarded) return;
  guarded = true;
  process.on('unhandledRejection', (reason) => {
    log(
      `internal error, exiting: unhandled rejection: ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}`,
    );
    process.exit(70);
  });
}
