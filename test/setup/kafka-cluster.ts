/**
 * A 3-node Kafka cluster for the tests that kill brokers, owned by this test process (reaped
 * like the single broker if the run is killed). The global setup keeps the single broker for
 * every other test: a cluster costs three JVMs and ~30 s to start, so only the files that need
 * one start it, in their beforeAll.
 */
import {
  killClusterNode,
  restartClusterNode,
  startLocalCluster,
  stopLocalCluster,
  type LocalCluster,
} from '../../deploy/kafka/local-cluster';
import { PrerequisiteError } from '../../deploy/kafka/toolchain';
import { MissingPrerequisiteError } from './test-service';

export interface TestCluster {
  cluster: LocalCluster;
  /** Comma-separated bootstrap list of every node. */
  bootstrap: string;
  /** SIGKILL of node `id` (1-based): a crash, storage kept. */
  kill(id: number): void;
  restart(id: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startTestCluster(
  brokers = 3,
  progress: (message: string) => void = (m) => console.log(`test cluster: ${m}`),
): Promise<TestCluster> {
  const name = `test-cluster-${process.pid}`;
  let cluster: LocalCluster;
  try {
    cluster = await startLocalCluster({ name, brokers, owner: process.pid, progress });
  } catch (err) {
    if (!(err instanceof PrerequisiteError)) throw err;
    throw new MissingPrerequisiteError(`no Kafka cluster for the tests: ${err.message}`);
  }
  return {
    cluster,
    bootstrap: cluster.bootstrap,
    kill: (id) => killClusterNode(cluster, id),
    restart: async (id) => void (await restartClusterNode(cluster, id)),
    stop: async () => void (await stopLocalCluster(name)),
  };
}
