/**
 * `npm run kafka:start|kafka:stop|kafka:status` (tsx deploy/kafka/cli.ts <command> [options]).
 * start prints only the bootstrap address on stdout, so `BROKERS=$(npm run -s kafka:start)` works;
 * progress and errors go to stderr as one line each.
 */
import { parseArgs } from 'node:util';
import { localBrokerStatus, runningLocalBrokers, stopLocalBroker } from './broker-instances';
import { inspectProcess } from './broker-process';
import { BrokerAlreadyRunningError, startLocalBroker } from './local-broker';
import { startLocalCluster, stopLocalCluster } from './local-cluster';
import { parsePort } from './ports';

const usage =
  'usage: cli.ts start [--port N] [--controller-port N] | start --brokers N | stop | status';
const say = (message: string): void => void process.stderr.write(`kafka: ${message}\n`);

async function start(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      port: { type: 'string' },
      'controller-port': { type: 'string' },
      brokers: { type: 'string' },
    },
  });
  if (values.brokers !== undefined && values.brokers !== '1') {
    if (values.port !== undefined || values['controller-port'] !== undefined)
      throw new Error(
        '--brokers N picks free ports itself: leave out --port and --controller-port',
      );
    const cluster = await startLocalCluster({ brokers: Number(values.brokers), progress: say });
    for (const node of cluster.nodes)
      say(
        `node ${node.name}: Kafka ${node.version} at ${node.bootstrap} (pid ${node.pid}, log ${node.logFile})`,
      );
    say(
      `${cluster.nodes.length}-node cluster ready: replication factor ${Math.min(3, cluster.nodes.length)}, min.insync.replicas ${Math.max(1, Math.min(3, cluster.nodes.length) - 1)}`,
    );
    process.stdout.write(`${cluster.bootstrap}\n`);
    return 0;
  }
  const broker = await startLocalBroker({
    port: values.port === undefined ? undefined : parsePort(values.port, '--port'),
    controllerPort:
      values['controller-port'] === undefined
        ? undefined
        : parsePort(values['controller-port'], '--controller-port'),
    progress: say,
  });
  say(
    `Kafka ${broker.version} ready at ${broker.bootstrap} (pid ${broker.pid}, log ${broker.logFile})`,
  );
  process.stdout.write(`${broker.bootstrap}\n`);
  return 0;
}

async function stop(): Promise<number> {
  const stopped = await stopLocalBroker();
  const nodes = await stopLocalCluster();
  for (const node of nodes) say(`stopped cluster node ${node.bootstrap} (pid ${node.pid})`);
  if (stopped) say(`stopped the broker at ${stopped.bootstrap} (pid ${stopped.pid})`);
  else if (nodes.length === 0) say('not running');
  return 0;
}

// Exit 3 when not running, as LSB status commands do, so scripts can test it.
async function status(): Promise<number> {
  const broker = await localBrokerStatus();
  const line = broker
    ? `running at ${broker.bootstrap} (pid ${broker.pid}, Kafka ${broker.version}, log ${broker.logFile})`
    : 'not running';
  process.stdout.write(`${line}\n`);
  for (const other of (await runningLocalBrokers()).filter((b) => b.name !== 'default')) {
    const owner =
      other.owner === null
        ? 'started by hand'
        : inspectProcess(other.owner).alive
          ? `for pid ${other.owner}`
          : `orphaned (owner ${other.owner} exited; the next start stops it)`;
    process.stdout.write(`also running ${owner}: ${other.bootstrap} (pid ${other.pid})\n`);
  }
  return broker ? 0 : 3;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'start':
      return start(rest);
    case 'stop':
      return stop();
    case 'status':
      return status();
    default:
      say(command === undefined ? usage : `unknown command "${command}"; ${usage}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof BrokerAlreadyRunningError) {
      say(
        `already running at ${err.broker.bootstrap} (pid ${err.broker.pid}); stop it with npm run kafka:stop`,
      );
    } else {
      say(err instanceof Error ? err.message : String(err));
    }
    process.exit(1);
  },
);
