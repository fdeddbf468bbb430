/**
 * A local KRaft cluster of several nodes (each broker and controller, a static quorum of all),
 * from the same jars as the single broker: `npm run kafka:start -- --brokers 3`. Topics get
 * replication factor 3 and min.insync.replicas 2, so one node may die with nothing lost and
 * producing goes on. Each node is an instance of its own (`<name>-n<id>`), so status, stop and
 * the reaping of a dead owner's brokers work per node as for the single broker.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ensureBrokerJars } from './broker-jars';
import {
  instanceDir,
  localBrokerStatus,
  reapOrphanedBrokers,
  runningLocalBrokers,
  stopLocalBroker,
  toLocalBroker,
  writeState,
  type BrokerState,
  type LocalBroker,
} from './broker-instances';
import { terminateProcess } from './broker-process';
import {
  BrokerAlreadyRunningError,
  formatStorage,
  newClusterId,
  spawnBroker,
  waitUntilReady,
} from './local-broker';
import { freePort } from './ports';
import { renderServerProperties } from './server-properties';
import { requireJava } from './toolchain';

export interface ClusterOptions {
  /** Cluster name; the nodes are instances `<name>-n1`, `<name>-n2`, ... */
  name?: string;
  brokers: number;
  owner?: number | null;
  progress?: (message: string) => void;
  readyTimeoutMs?: number;
}

export interface LocalCluster {
  name: string;
  nodes: LocalBroker[];
  /** Every node's `127.0.0.1:<port>`, comma-separated. */
  bootstrap: string;
}

export const nodeName = (cluster: string, id: number) => `${cluster}-n${id}`;

const bootstrapOf = (nodes: LocalBroker[]) => nodes.map((n) => n.bootstrap).join(',');

/** Starts a fresh cluster of `brokers` nodes and resolves once every node accepts clients. */
export async function startLocalCluster(options: ClusterOptions): Promise<LocalCluster> {
  const { name = 'cluster', brokers, owner = null, progress = () => {} } = options;
  if (!Number.isInteger(brokers) || brokers < 1 || brokers > 9)
    throw new Error(`--brokers must be from 1 to 9, got ${brokers}`);
  for (const orphan of await reapOrphanedBrokers())
    progress(`stopped leftover broker ${orphan.bootstrap} (pid ${orphan.pid})`);
  const ids = Array.from({ length: brokers }, (_, i) => i + 1);
  for (const id of ids) {
    const running = await localBrokerStatus(nodeName(name, id));
    if (running) throw new BrokerAlreadyRunningError(running);
  }
  const java = requireJava();
  const jars = await ensureBrokerJars(progress);
  const ports = await Promise.all(ids.map(async () => [await freePort(), await freePort()]));
  const controllerPorts = ports.map(([, c]) => c!);
  const clusterId = newClusterId();
  await Promise.all(
    ids.map(async (id) => {
      const dir = instanceDir(nodeName(name, id));
      const dataDir = join(dir, 'data');
      await rm(dataDir, { recursive: true, force: true });
      await mkdir(dataDir, { recursive: true });
      const propsFile = join(dir, 'server.properties');
      const [port, controllerPort] = ports[id - 1]!;
      await writeFile(
        propsFile,
        renderServerProperties({
          port: port!,
          controllerPort: controllerPort!,
          dataDir,
          cluster: { nodeId: id, controllerPorts },
        }),
      );
      await formatStorage(java, jars, propsFile, clusterId, false);
    }),
  );
  progress(`starting a ${brokers}-node Kafka cluster`);
  // The nodes elect a controller among themselves: they must all start before any is ready.
  const nodes = await Promise.all(
    ids.map((id) => startNode(name, id, owner, java, jars, options.readyTimeoutMs)),
  ).catch(async (err: unknown) => {
    await stopLocalCluster(name);
    throw err;
  });
  return { name, nodes, bootstrap: bootstrapOf(nodes) };
}

/**
 * (Re)starts node `id` of cluster `name` on its storage and ports (after `killNode`, or a crash):
 * it rejoins the cluster and catches up.
 */
export async function restartClusterNode(
  cluster: LocalCluster,
  id: number,
  readyTimeoutMs?: number,
): Promise<LocalBroker> {
  const node = cluster.nodes[id - 1]!;
  const started = await startNode(
    cluster.name,
    id,
    node.owner,
    requireJava(),
    await ensureBrokerJars(() => {}),
    readyTimeoutMs,
  );
  cluster.nodes[id - 1] = started;
  return started;
}

/** SIGKILLs node `id` (a crash: no controlled shutdown); its storage stays for a restart. */
export function killClusterNode(cluster: LocalCluster, id: number): void {
  const node = cluster.nodes[id - 1]!;
  try {
    process.kill(node.pid, 'SIGKILL');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

async function startNode(
  name: string,
  id: number,
  owner: number | null,
  java: string,
  jars: string,
  readyTimeoutMs = 120_000,
): Promise<LocalBroker> {
  const dir = instanceDir(nodeName(name, id));
  const propsFile = join(dir, 'server.properties');
  if (!existsSync(join(dir, 'data', 'meta.properties')))
    throw new Error(`node ${id} of cluster ${name} has no formatted storage in ${dir}`);
  const text = await readFile(propsFile, 'utf8');
  const port = Number(/^listeners=PLAINTEXT:\/\/127\.0\.0\.1:(\d+)/m.exec(text)![1]);
  const controllerPort = Number(/CONTROLLER:\/\/127\.0\.0\.1:(\d+)/m.exec(text)![1]);
  const logFile = join(dir, 'broker.log');
  const child = spawnBroker(java, jars, propsFile, logFile, owner === null);
  const state: BrokerState = {
    name: nodeName(name, id),
    pid: child.pid!,
    port,
    controllerPort,
    owner,
    version: null,
    logFile,
    startedAt: new Date().toISOString(),
  };
  await writeState(state);
  try {
    state.version = await waitUntilReady(child, logFile, readyTimeoutMs);
  } catch (err) {
    await terminateProcess(state.pid, 5_000).catch(() => {});
    throw err;
  }
  await writeState(state);
  return toLocalBroker(state);
}

/** The running nodes of cluster `name` (none when it is not running). */
export async function localClusterStatus(name = 'cluster'): Promise<LocalBroker[]> {
  const prefix = new RegExp(`^${name}-n\\d+$`);
  return (await runningLocalBrokers()).filter((b) => prefix.test(b.name));
}

/** Stops every node of cluster `name` and removes what it owned. */
export async function stopLocalCluster(name = 'cluster'): Promise<LocalBroker[]> {
  const stopped: LocalBroker[] = [];
  for (let id = 1; id <= 9; id++) {
    const node = nodeName(name, id);
    if (!existsSync(instanceDir(node))) continue;
    const running = await stopLocalBroker(node);
    if (running) stopped.push(running);
  }
  return stopped;
}
