import { relative } from 'node:path';
import {
  localBrokerStatus,
  reapOrphanedBrokers,
  stopLocalBroker,
} from '../../deploy/kafka/broker-instances';
import { startLocalBroker } from '../../deploy/kafka/local-broker';
import { repoRoot } from '../../deploy/kafka/paths';
import { PrerequisiteError } from '../../deploy/kafka/toolchain';
import { containerRuntimeAvailable } from './container-runtime';
import { MissingPrerequisiteError, nothingToStop, type TestService } from './test-service';

// Confluent Platform 8.1 is Apache Kafka 4.1, the version the local broker runs.
const kafkaImage = 'confluentinc/cp-kafka:8.1.0';
const hostPort = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+):(\d{1,5})$/;

/** KAFKA_BROKERS, else a testcontainers broker, else the project's own local broker. */
export async function resolveKafka(
  env: NodeJS.ProcessEnv,
  progress: (message: string) => void,
): Promise<TestService<string>> {
  const fromEnv = env.KAFKA_BROKERS?.trim();
  if (fromEnv) {
    return {
      value: parseBrokerList(fromEnv),
      description: `${fromEnv} (KAFKA_BROKERS)`,
      stop: nothingToStop,
    };
  }
  if (await containerRuntimeAvailable()) return startKafkaContainer(progress);
  return localKafka(progress);
}

export function parseBrokerList(text: string): string {
  const entries = text.split(',').map((entry) => entry.trim());
  const bad = entries.filter((entry) => !hostPort.test(entry));
  if (bad.length > 0) {
    throw new Error(
      `KAFKA_BROKERS must be comma-separated host:port entries; bad: ${bad.map((b) => `"${b}"`).join(', ')}`,
    );
  }
  return entries.join(',');
}

async function startKafkaContainer(
  progress: (message: string) => void,
): Promise<TestService<string>> {
  progress(`starting Kafka container ${kafkaImage}`);
  const { KafkaContainer } = await import('@testcontainers/kafka');
  const container = await new KafkaContainer(kafkaImage).start();
  const bootstrap = `${container.getHost()}:${container.getMappedPort(9093)}`;
  return {
    value: bootstrap,
    description: `${bootstrap} (testcontainers ${kafkaImage})`,
    stop: async () => void (await container.stop()),
  };
}

/** Reuses a broker from `npm run kafka:start`, else starts one owned by this run. */
async function localKafka(progress: (message: string) => void): Promise<TestService<string>> {
  for (const orphan of await reapOrphanedBrokers()) {
    progress(`stopped leftover broker ${orphan.bootstrap} of an exited run (pid ${orphan.owner})`);
  }
  const running = await localBrokerStatus('default');
  if (running) {
    return {
      value: running.bootstrap,
      description: `${running.bootstrap} (local Kafka ${running.version} from npm run kafka:start)`,
      stop: nothingToStop,
    };
  }
  // Named after this process: concurrent runs in one work tree each get their own broker.
  const name = `test-run-${process.pid}`;
  try {
    const broker = await startLocalBroker({ name, owner: process.pid, progress });
    return {
      value: broker.bootstrap,
      description: `${broker.bootstrap} (local Kafka ${broker.version} started for this run, log ${relative(repoRoot, broker.logFile)})`,
      stop: async () => void (await stopLocalBroker(name)),
    };
  } catch (err) {
    if (!(err instanceof PrerequisiteError)) throw err;
    throw new MissingPrerequisiteError(
      `no Kafka for the tests: KAFKA_BROKERS is unset, no container runtime answers, and the local broker cannot start: ${err.message}`,
    );
  }
}
