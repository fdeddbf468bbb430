export interface BrokerListeners {
  port: number;
  controllerPort: number;
  dataDir: string;
}

/**
 * server.properties for a single-node KRaft broker that is its own controller, tuned for tests:
 * one partition for the internal topics and no initial rebalance delay, so the first consumer
 * group is ready in milliseconds instead of creating 50 offset partitions and waiting 3 s.
 */
export function renderServerProperties({ port, controllerPort, dataDir }: BrokerListeners): string {
  const settings: Record<string, string | number> = {
    'process.roles': 'broker,controller',
    'node.id': 1,
    'controller.quorum.bootstrap.servers': `127.0.0.1:${controllerPort}`,
    // 127.0.0.1 rather than localhost: Node may resolve localhost to ::1.
    listeners: `PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    'advertised.listeners': `PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    'inter.broker.listener.name': 'PLAINTEXT',
    'controller.listener.names': 'CONTROLLER',
    'listener.security.protocol.map': 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    'log.dirs': dataDir,
    // One node: internal topics cannot have the default replication factor of 3.
    'offsets.topic.replication.factor': 1,
    'transaction.state.log.replication.factor': 1,
    'transaction.state.log.min.isr': 1,
    'share.coordinator.state.topic.replication.factor': 1,
    'share.coordinator.state.topic.min.isr': 1,
    'offsets.topic.num.partitions': 1,
    'transaction.state.log.num.partitions': 1,
    'group.initial.rebalance.delay.ms': 0,
    // The default 128 MiB cleaner buffer would take a quarter of the heap.
    'log.cleaner.dedupe.buffer.size': 8 * 1024 * 1024,
  };
  return Object.entries(settings)
    .map(([key, value]) => `${key}=${escapeValue(String(value))}`)
    .join('\n')
    .concat('\n');
}

// Java properties read a backslash as an escape (Windows paths).
function escapeValue(value: string): string {
  return value.replace(/\\/g, '\\\\');
}
