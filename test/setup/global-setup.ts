/**
 * Vitest global setup for the int and e2e projects: resolves Kafka and ClickHouse once per run
 * (environment, then testcontainers, then the local broker and embedded chDB), prints which were
 * used, and provides them as `inject('kafkaBrokers')` and `inject('clickhouse')`.
 */
import type { TestProject } from 'vitest/node';
import { resolveClickHouse } from './clickhouse-service';
import { resolveKafka } from './kafka-service';
import type { ClickHouseService } from './provided-context';
import type { TestService } from './test-service';

interface Services {
  kafka: TestService<string>;
  clickhouse: TestService<ClickHouseService>;
}

// Each Vitest project loads this file in its own module graph, so the one-per-run services live on
// globalThis, counted by project, and stop when the last project tears down.
const shared = Symbol.for('magicport.test-services');
type SharedServices = { services: Promise<Services>; users: number };
const registry = globalThis as { [shared]?: SharedServices };

const say = (message: string): void => console.log(`test services: ${message}`);

async function resolveServices(): Promise<Services> {
  const [kafka, clickhouse] = await Promise.allSettled([
    resolveKafka(process.env, say),
    resolveClickHouse(process.env, say),
  ]);
  if (kafka.status === 'fulfilled' && clickhouse.status === 'fulfilled') {
    say(`Kafka ${kafka.value.description}`);
    say(`ClickHouse ${clickhouse.value.description}`);
    return { kafka: kafka.value, clickhouse: clickhouse.value };
  }
  // Release whichever did start before failing the run.
  for (const result of [kafka, clickhouse]) {
    if (result.status === 'fulfilled') await result.value.stop();
  }
  const reasons = [kafka, clickhouse].flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
  throw reasons.length === 1
    ? reasons[0]
    : new AggregateError(reasons, reasons.map(String).join('; '));
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const entry = (registry[shared] ??= { services: resolveServices(), users: 0 });
  entry.users += 1;
  const services = await entry.services;
  project.provide('kafkaBrokers', services.kafka.value);
  project.provide('clickhouse', services.clickhouse.value);
  return async () => {
    entry.users -= 1;
    if (entry.users > 0) return;
    delete registry[shared];
    await Promise.all([services.kafka.stop(), services.clickhouse.stop()]);
  };
}
