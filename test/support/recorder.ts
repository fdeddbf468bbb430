/**
 * Recorder delivery tests: the built `magicport` CLI as a child process (run, or killed with
 * SIGKILL), the events topic read back for one simulated run's device-model instances, and
 * waiting for a condition with a deadline.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { randomBytes, randomInt } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { decodeEvent, EVENTS_TOPIC, type GuestEvent } from '@magicport/events';
import { KafkaBus, KAFKA_BUS_DEFAULTS, magicportTopics } from '@magicport/bus';
import { planFleet, simulatedDmId, type FleetManifest } from '../../apps/device-model/src/simulate';

const root = join(__dirname, '..', '..');
const cliEntry = join(root, 'apps', 'cli', 'dist', 'main.js');

/** The CLI runs from its build output, as `npx magicport` does: build it (incremental) first. */
export async function buildCli(): Promise<void> {
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  await promisify(execFile)(process.execPath, [tsc, '-b', 'apps/cli'], { cwd: root });
}

export interface SimulateRun {
  seed: number;
  hosts: number;
  guests: number;
  boots: number;
  /** Comma-separated bootstrap list. */
  brokers: string;
  journal: string;
  manifest?: string;
}

export function simulateArgs(run: SimulateRun): string[] {
  const args = ['simulate', '--seed', String(run.seed), '--hosts', String(run.hosts)];
  args.push('--guests', String(run.guests), '--boots', String(run.boots));
  args.push('--brokers', run.brokers, '--journal', run.journal, '--no-progress');
  return run.manifest ? [...args, '--manifest', run.manifest] : args;
}

/** The device-model instance ids a `simulate` run records into: one per planned guest. */
/** The manifest `simulate --manifest FILE` wrote: the run's truth. */
export async function readManifest(file: string): Promise<FleetManifest> {
  return JSON.parse(await readFile(file, 'utf8')) as FleetManifest;
}

export function simulatedDms(run: Pick<SimulateRun, 'seed' | 'hosts' | 'guests'>): Set<string> {
  return new Set(planFleet(run).map(simulatedDmId));
}

export interface CliExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliProcess {
  readonly args: readonly string[];
  readonly child: ChildProcess;
  readonly exited: Promise<CliExit>;
  /** Everything written to stderr so far. */
  stderr(): string;
}

const running = new Set<ChildProcess>();

/** Starts `magicport <args>`; its output is collected for the exit report. */
export function spawnCli(args: string[]): CliProcess {
  const child = spawn(process.execPath, [cliEntry, ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<CliExit>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => {
      running.delete(child);
      resolve({ code, signal, stdout, stderr });
    });
  });
  return { args, child, exited, stderr: () => stderr };
}

/** Runs `magicport <args>` to its end; a run past `timeoutMs` is killed and fails the test. */
export function runCli(args: string[], timeoutMs: number): Promise<CliExit> {
  return waitForExit(spawnCli(args), timeoutMs);
}

/** The exit of a CLI process; one still running after `timeoutMs` is killed and fails the test. */
export async function waitForExit(cli: CliProcess, timeoutMs: number): Promise<CliExit> {
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    cli.child.kill('SIGKILL');
  }, timeoutMs);
  try {
    const exit = await cli.exited;
    if (timedOut) {
      const tail = exit.stderr.split('\n').slice(-20).join('\n');
      throw new Error(
        `magicport ${cli.args.join(' ')} did not finish in ${timeoutMs} ms; stderr ends:\n${tail}`,
      );
    }
    return exit;
  } finally {
    clearTimeout(timer);
  }
}

/** kill -9: no shutdown code runs, whatever the process was doing. */
export async function killHard(cli: CliProcess): Promise<CliExit> {
  cli.child.kill('SIGKILL');
  return cli.exited;
}

/** Kills whatever CLI process a failed test left running (for afterEach/afterAll). */
export async function killLeftoverCli(): Promise<void> {
  const exits = [...running].map(
    (child) => new Promise<void>((resolve) => child.once('close', () => resolve())),
  );
  for (const child of running) child.kill('SIGKILL');
  await Promise.all(exits);
}

/** Polls `probe` until it returns a value other than undefined/false; fails after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs: number,
  intervalMs = 20,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

function kafkaClient(brokers: string): Kafka {
  return new Kafka({
    clientId: 'magicport-recorder-test',
    brokers: brokers.split(','),
    logLevel: logLevel.NOTHING,
  });
}

/** Offset after the last record of each partition of the events topic. */
export async function eventsEndOffsets(brokers: string): Promise<Map<number, bigint>> {
  // On a fresh broker nothing has provisioned the topics yet: do what the agent does first.
  // The bus's endOffsets waits out the new partitions' leader elections (NOT_LEADER meanwhile).
  const bus = new KafkaBus({
    ...KAFKA_BUS_DEFAULTS,
    brokers: brokers.split(','),
    log: () => undefined,
  });
  try {
    await bus.ensureTopics(magicportTopics());
    const ends = await bus.endOffsets(EVENTS_TOPIC);
    return new Map([...ends].map(([partition, end]) => [partition, BigInt(end)]));
  } finally {
    await bus.close();
  }
}

/** One record of the events topic, decoded, with its raw bytes for byte-for-byte comparisons. */
export interface DeliveredRecord {
  partition: number;
  offset: bigint;
  key: string | null;
  value: Buffer;
  event: GuestEvent;
}

/**
 * Every record of the events topic from `from` (per partition) up to the end offsets at call
 * time whose event belongs to one of `dms`, in partition and offset order. Records of other
 * producers sharing the broker (other runs, other tests) are left out, undecodable ones too:
 * a record of ours that does not decode shows up as missing.
 */
export async function readRunEvents(
  brokers: string,
  from: ReadonlyMap<number, bigint>,
  dms: ReadonlySet<string>,
  timeoutMs = 60_000,
): Promise<DeliveredRecord[]> {
  const to = await eventsEndOffsets(brokers);
  const start = (p: number) => from.get(p) ?? 0n;
  const pending = new Set([...to].filter(([p, end]) => end > start(p)).map(([p]) => p));
  const records: DeliveredRecord[] = [];
  if (pending.size === 0) return records;
  const kafka = kafkaClient(brokers);
  const groupId = `magicport-recorder-test-${randomBytes(6).toString('hex')}`;
  const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: EVENTS_TOPIC, fromBeginning: true });
    const done = new Promise<void>((resolve, reject) => {
      consumer.on(consumer.events.CRASH, ({ payload }) => {
        if (!payload.restart) reject(payload.error);
      });
      void consumer
        .run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            const end = to.get(batch.partition) ?? 0n;
            for (const m of batch.messages) {
              const offset = BigInt(m.offset);
              if (offset < start(batch.partition) || offset >= end) continue;
              const decoded = decodeEvent(m.value ?? Buffer.alloc(0));
              if (!decoded.ok || !('vm' in decoded.event) || !dms.has(decoded.event.dm)) continue;
              const key = m.key?.toString() ?? null;
              records.push({
                partition: batch.partition,
                offset,
                key,
                value: m.value!,
                event: decoded.event,
              });
            }
            const last = batch.messages.at(-1);
            if (last && BigInt(last.offset) >= end - 1n) pending.delete(batch.partition);
            if (pending.size === 0) resolve();
          },
        })
        .then(() => {
          for (const partition of to.keys())
            consumer.seek({ topic: EVENTS_TOPIC, partition, offset: String(start(partition)) });
        }, reject);
    });
    await withTimeout(
      done,
      timeoutMs,
      () => `reading ${EVENTS_TOPIC} (partitions ${[...pending].join(',')} unfinished)`,
    );
  } finally {
    await consumer.disconnect();
    await deleteGroup(kafka, groupId);
  }
  return records.sort((a, b) => a.partition - b.partition || (a.offset < b.offset ? -1 : 1));
}

async function deleteGroup(kafka: Kafka, groupId: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  // A group the broker already forgot is fine; leaving one behind only costs the broker a row.
  await admin.deleteGroups([groupId]).catch(() => undefined);
  await admin.disconnect();
}

async function withTimeout<T>(work: Promise<T>, ms: number, what: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms ${what()}`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A seed of its own per test run, so runs sharing a broker never record the same dm ids. */
export function randomSeed(): number {
  return randomInt(1, 2 ** 31);
}
