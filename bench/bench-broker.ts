import { stopLocalBroker } from '../deploy/kafka/broker-instances';
import { startLocalBroker } from '../deploy/kafka/local-broker';

/**
 * Runs `run` against the brokers in KAFKA_BROKERS, or else a local broker started for it (named
 * after `label` and this process) and stopped after.
 */
export async function withBroker<T>(
  label: string,
  run: (brokers: string[]) => Promise<T>,
): Promise<T> {
  const fromEnv = process.env.KAFKA_BROKERS?.trim();
  if (fromEnv) return run(fromEnv.split(','));
  const name = `bench-${label}-${process.pid}`;
  const broker = await startLocalBroker({
    name,
    owner: process.pid,
    progress: (m) => console.error(`kafka: ${m}`),
  });
  try {
    return await run([broker.bootstrap]);
  } finally {
    await stopLocalBroker(name);
  }
}
