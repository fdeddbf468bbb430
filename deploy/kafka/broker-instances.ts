import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { inspectProcess, terminateProcess } from './broker-process';
import { instancesRoot } from './paths';

/** What a running broker instance records in `<instancesRoot>/<name>/state.json`. */
export interface BrokerState {
  name: string;
  pid: number;
  port: number;
  controllerPort: number;
  /** The process whose lifetime bounds the broker's (a test run); null when started by hand. */
  owner: number | null;
  /** As the running broker logs it ("Kafka version: 4.1.1"); null until it is ready. */
  version: string | null;
  logFile: string;
  startedAt: string;
}

export interface LocalBroker extends BrokerState {
  /** `127.0.0.1:<port>`, what clients bootstrap from. */
  bootstrap: string;
}

export function instanceDir(name: string): string {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(name)) {
    throw new Error(
      `broker instance name must be lowercase letters, digits and dashes, got "${name}"`,
    );
  }
  return join(instancesRoot, name);
}

const stateFile = (name: string): string => join(instanceDir(name), 'state.json');

export function toLocalBroker(state: BrokerState): LocalBroker {
  return { ...state, bootstrap: `127.0.0.1:${state.port}` };
}

export async function writeState(state: BrokerState): Promise<void> {
  await mkdir(instanceDir(state.name), { recursive: true });
  const temp = `${stateFile(state.name)}.${process.pid}.tmp`;
  await writeFile(temp, JSON.stringify(state, null, 2) + '\n');
  await rename(temp, stateFile(state.name));
}

/** The recorded state, or null when there is none or it is unreadable (a crash mid-write). */
async function readState(name: string): Promise<BrokerState | null> {
  const text = await readFile(stateFile(name), 'utf8').catch(() => null);
  if (text === null) return null;
  try {
    const state = JSON.parse(text) as BrokerState;
    return Number.isInteger(state.pid) && Number.isInteger(state.port) ? state : null;
  } catch {
    return null;
  }
}

/**
 * True when the recorded pid is still this instance's broker, not a process that reused the pid:
 * the command line names kafka.Kafka and this instance's folder.
 */
function isBrokerAlive(state: BrokerState): boolean {
  const proc = inspectProcess(state.pid);
  if (!proc.alive) return false;
  return (
    proc.command === '' ||
    (proc.command.includes('kafka.Kafka') && proc.command.includes(instanceDir(state.name)))
  );
}

async function instanceNames(): Promise<string[]> {
  const entries = await readdir(instancesRoot, { withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => e.isDirectory() && /^[a-z0-9][a-z0-9-]*$/.test(e.name))
    .map((e) => e.name);
}

/** The broker of instance `name` when it is up, else null. */
export async function localBrokerStatus(name = 'default'): Promise<LocalBroker | null> {
  const state = await readState(name);
  return state && isBrokerAlive(state) ? toLocalBroker(state) : null;
}

export async function runningLocalBrokers(): Promise<LocalBroker[]> {
  const found = await Promise.all((await instanceNames()).map((name) => localBrokerStatus(name)));
  return found.filter((broker): broker is LocalBroker => broker !== null);
}

/** The local broker that serves `bootstrap` (e.g. "127.0.0.1:40123"), if it is one of ours. */
export async function findLocalBroker(bootstrap: string): Promise<LocalBroker | null> {
  return (await runningLocalBrokers()).find((broker) => broker.bootstrap === bootstrap) ?? null;
}

/**
 * Stops instance `name` by its recorded pid. Instances with an owner are wiped entirely; a
 * hand-started one keeps its log (and config) for reading after the stop. With `keepData` only
 * the process goes: a later `startLocalBroker({ name, keepData: true })` on the same ports comes
 * back with the same topics and records (an outage, not a new cluster). Null when not running.
 */
export async function stopLocalBroker(
  name = 'default',
  options: { keepData?: boolean } = {},
): Promise<LocalBroker | null> {
  const state = await readState(name);
  const running = state && isBrokerAlive(state) ? toLocalBroker(state) : null;
  if (running) await terminateProcess(running.pid);
  if (options.keepData) await rm(stateFile(name), { force: true });
  else await wipeInstance(name, state?.owner ?? ownerFromName(name));
  return running;
}

async function wipeInstance(name: string, owner: number | null): Promise<void> {
  const dir = instanceDir(name);
  if (owner !== null) {
    await rm(dir, { recursive: true, force: true });
    return;
  }
  await rm(join(dir, 'state.json'), { force: true });
  await rm(join(dir, 'data'), { recursive: true, force: true });
}

// Owned instances are named `<label>-<owner pid>`, so a folder left without state.json (a start
// killed before it wrote one) can still be traced to its owner.
function ownerFromName(name: string): number | null {
  const match = /-(\d+)$/.exec(name);
  return name !== 'default' && match ? Number(match[1]) : null;
}

/**
 * Cleans up after killed test runs: a broker whose owner process has exited is stopped and its
 * folder removed, as is any folder whose broker is gone. Returns what it stopped.
 */
export async function reapOrphanedBrokers(): Promise<LocalBroker[]> {
  const stopped: LocalBroker[] = [];
  for (const name of await instanceNames()) {
    const state = await readState(name);
    const owner = state ? state.owner : ownerFromName(name);
    // A live owner manages its own broker, even one that is still starting.
    if (owner !== null && inspectProcess(owner).alive) continue;
    const brokerUp = state !== null && isBrokerAlive(state);
    // Hand-started brokers run until `kafka:stop`; only a dead one's stale state is cleared.
    if (owner === null && (brokerUp || state === null)) continue;
    if (brokerUp) {
      await terminateProcess(state.pid);
      stopped.push(toLocalBroker(state));
    }
    await wipeInstance(name, owner);
  }
  return stopped;
}
