/**
 * `npm run kafka:start|kafka:stop|kafka:status` (tsx deploy/kafka/cli.ts <command> [options]).
 * start prints only the bootstrap address on stdout, so `BROKERS=$(npm run -s kafka:start)` works;
 * progress and errors go to stderr as one line each.
 */
import { parseArgs } from 'node:util';
import { localBrokerStatus, runningLocalBrokers, stopLocalBroker } from './broker-instances';
import { inspectProcess } from './broker-process';
import { BrokerAlreadyRunningError, startLocalBroker } from './local-broker';
import { parsePort } from './ports';

const usage = 'usage: cli.ts start [--port N] [--controller-port N] | stop | status';
const say = (message: string): void => void process.stderr.write(`kafka: ${message}\n`);

async function start(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { port: { type: 'string' }, 'controller-port': { type: 'string' } },
  });
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
  say(stopped ? `stopped the broker at ${stopped.bootstrap} (pid ${stopped.pid})` : 'not running');
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
      other.owner !== null && inspectProcess(other.owner).alive
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
