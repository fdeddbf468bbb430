import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { ensureBrokerJars } from './broker-jars';
import {
  instanceDir,
  localBrokerStatus,
  reapOrphanedBrokers,
  toLocalBroker,
  writeState,
  type BrokerState,
  type LocalBroker,
} from './broker-instances';
import { terminateProcess } from './broker-process';
import { log4jConfigFile } from './paths';
import { freePort, requireFreePort } from './ports';
import { renderServerProperties } from './server-properties';
import { requireJava } from './toolchain';

export interface StartOptions {
  /** Instance name: `default` for `npm run kafka:start`, `<label>-<owner pid>` for owned ones. */
  name?: string;
  /** Client port; a free one when absent. */
  port?: number;
  controllerPort?: number;
  /** Process whose exit makes the broker an orphan to stop on the next start; null = none. */
  owner?: number | null;
  progress?: (message: string) => void;
  readyTimeoutMs?: number;
  /**
   * Start on the storage a previous start of this instance left (see `stopLocalBroker`'s
   * `keepData`): same cluster, same topics and offsets. Meant for a restart on the same ports;
   * storage that was never formatted is formatted as usual.
   */
  keepData?: boolean;
}

export class BrokerAlreadyRunningError extends Error {
  override name = 'BrokerAlreadyRunningError';
  constructor(readonly broker: LocalBroker) {
    super(`a local Kafka broker is already running at ${broker.bootstrap} (pid ${broker.pid})`);
  }
}

const readyLine = 'Kafka Server started';
const fatalLine = 'Exiting Kafka due to fatal exception';

/**
 * Starts a single-node KRaft broker (its own controller) on 127.0.0.1 from the Maven-resolved
 * jars, with fresh storage (unless `keepData`), and resolves once it accepts clients. Leftovers
 * of killed test runs are stopped first.
 */
export async function startLocalBroker(options: StartOptions = {}): Promise<LocalBroker> {
  const { name = 'default', owner = null, progress = () => {} } = options;
  for (const orphan of await reapOrphanedBrokers()) {
    progress(
      `stopped leftover broker ${orphan.bootstrap} (pid ${orphan.pid}): its owner ${orphan.owner} exited`,
    );
  }
  const running = await localBrokerStatus(name);
  if (running) throw new BrokerAlreadyRunningError(running);

  const java = requireJava();
  const jars = await ensureBrokerJars(progress);
  const port = options.port ? await requireFreePort(options.port, '--port') : await freePort();
  const controllerPort = options.controllerPort
    ? await requireFreePort(options.controllerPort, '--controller-port')
    : await freePort();

  const dir = instanceDir(name);
  const dataDir = join(dir, 'data');
  const reuse = options.keepData === true && existsSync(join(dataDir, 'meta.properties'));
  if (!reuse) await rm(dataDir, { recursive: true, force: true });
  await mkdir(dataDir, { recursive: true });
  const propsFile = join(dir, 'server.properties');
  await writeFile(propsFile, renderServerProperties({ port, controllerPort, dataDir }));
  if (!reuse) await formatStorage(java, jars, propsFile);

  const logFile = join(dir, 'broker.log');
  const child = spawnBroker(java, jars, propsFile, logFile, owner === null);
  const state: BrokerState = {
    name,
    pid: child.pid!,
    port,
    controllerPort,
    owner,
    version: null,
    logFile,
    startedAt: new Date().toISOString(),
  };
  // Recorded before the wait so that a start killed now still leaves a stoppable broker.
  await writeState(state);
  try {
    state.version = await waitUntilReady(child, logFile, options.readyTimeoutMs ?? 90_000);
  } catch (err) {
    await terminateProcess(state.pid, 5_000).catch(() => {});
    throw err;
  }
  await writeState(state);
  return toLocalBroker(state);
}

// KRaft refuses to start on unformatted storage; `--standalone` makes this node the sole voter
// (a cluster's nodes have a static voter list instead, and share one cluster id).
export async function formatStorage(
  java: string,
  jars: string,
  propsFile: string,
  clusterId = newClusterId(),
  standalone = true,
): Promise<void> {
  const args = [
    '-Xmx256m',
    '-XX:TieredStopAtLevel=1', // a short-lived tool: skip the optimising compiler
    '-cp',
    join(jars, '*'),
    'kafka.tools.StorageTool',
    'format',
    ...(standalone ? ['--standalone'] : []),
    '-t',
    clusterId,
    '-c',
    propsFile,
  ];
  try {
    await promisify(execFile)(java, args, { maxBuffer: 4 * 1024 * 1024 });
  } catch (err) {
    const { stdout = '', stderr = '' } = err as { stdout?: string; stderr?: string };
    throw new Error(`formatting the broker storage failed: ${`${stderr}${stdout}`.trim()}`, {
      cause: err,
    });
  }
}

// An id starting with '-' reads as an option to StorageTool ("expected one argument"); Kafka's
// own Uuid.randomUuid() skips those too.
export function newClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

export function spawnBroker(
  java: string,
  jars: string,
  propsFile: string,
  logFile: string,
  detached: boolean,
): ChildProcess {
  const args = [
    '-Xms128m',
    '-Xmx512m',
    '-server',
    '-XX:+UseG1GC',
    '-Djava.awt.headless=true',
    `-Dlog4j2.configurationFile=${log4jConfigFile}`,
    `-Dkafka.logs.dir=${join(propsFile, '..')}`,
    '-cp',
    join(jars, '*'), // the JVM expands the wildcard itself
    'kafka.Kafka',
    propsFile,
  ];
  const log = openSync(logFile, 'w');
  try {
    // A hand-started broker gets its own session so it outlives the CLI; an owned one stays in
    // the owner's process group, so Ctrl-C on a test run reaches it too.
    const child = spawn(java, args, { detached, stdio: ['ignore', log, log] });
    child.unref();
    if (child.pid === undefined) throw new Error(`could not start "${java}"`);
    return child;
  } finally {
    closeSync(log);
  }
}

/** Resolves with the version the broker logs once it says it is started; rejects on exit. */
export async function waitUntilReady(
  child: ChildProcess,
  logFile: string,
  timeoutMs: number,
): Promise<string> {
  let exitCode: number | string | null = null;
  child.once('exit', (code, signal) => (exitCode = code ?? signal));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const log = await readFile(logFile, 'utf8');
    if (log.includes(readyLine)) {
      return /Kafka version: (\S+)/.exec(log)?.[1] ?? 'unknown';
    }
    if (exitCode !== null || log.includes(fatalLine)) {
      throw new Error(
        `the Kafka broker exited during startup (${exitCode ?? 'fatal error'}): ${explain(log)}; full log: ${logFile}`,
      );
    }
    if (Date.now() > deadline) {
      throw new Error(
        `the Kafka broker was not ready after ${timeoutMs / 1000} s: ${explain(log)}; full log: ${logFile}`,
      );
    }
    await sleep(100);
  }
}

// The lines that say why: errors first, else the end of the log.
function explain(log: string): string {
  const lines = log.trim().split('\n');
  const errors = lines.filter((line) => / (ERROR|FATAL) |Exception|Error:/.test(line));
  return (errors.length > 0 ? errors.slice(0, 5) : lines.slice(-5)).join(' | ') || '(empty log)';
}
