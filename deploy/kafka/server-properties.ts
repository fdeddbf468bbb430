export interface BrokerListeners {
  port: number;
  controllerPort: number;
  dataDir: string;
  /**
   * For a node of a cluster: its id (1..n) and every node's controller port, in id order. Absent
   * for the single node.
   */
  cluster?: { nodeId: number; controllerPorts: number[] };
}

/**
 * server.properties for a KRaft node that is broker and controller, alone or one of a cluster
 * (every node a voter), tuned for tests:
 * one partition for the internal topics and no initial rebalance delay, so the first consumer
 * group is ready in milliseconds instead of creating 50 offset partitions and waiting 3 s.
 */
export function renderServerProperties({
  port,
  controllerPort,
  dataDir,
  cluster,
}: BrokerListeners): string {
  // One node: internal topics cannot have the default replication factor of 3. A cluster of
  // three keeps every topic on all of them, writes acknowledged by two (one may die).
  const replicas = cluster ? Math.min(3, cluster.controllerPorts.length) : 1;
  const minInsync = cluster ? Math.max(1, replicas - 1) : 1;
  const settings: Record<string, string | number> = {
    'process.roles': 'broker,controller',
    'node.id': cluster?.nodeId ?? 1,
    ...(cluster
      ? {
          // A static quorum of every node: formatted without --standalone.
          'controller.quorum.voters': cluster.controllerPorts
            .map((p, i) => `${i + 1}@127.0.0.1:${p}`)
            .join(','),
        }
      : { 'controller.quorum.bootstrap.servers': `127.0.0.1:${controllerPort}` }),
    // 127.0.0.1 rather than localhost: Node may resolve localhost to ::1.
    listeners: `PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    'advertised.listeners': `PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    'inter.broker.listener.name': 'PLAINTEXT',
    'controller.listener.names': 'CONTROLLER',
    'listener.security.protocol.map': 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    'log.dirs': dataDir,
    'offsets.topic.replication.factor': replicas,
    'transaction.state.log.replication.factor': replicas,
    'transaction.state.log.min.isr': minInsync,
    'share.coordinator.state.topic.replication.factor': replicas,
    'share.coordinator.state.topic.min.isr': minInsync,
    ...(cluster
      ? {
          // The project's topics are created with the broker default (replication factor -1).
          'default.replication.factor': replicas,
          'min.insync.replicas': minInsync,
        }
      : {}),
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
