import { writeFile } from 'node:fs/promises';
import { Command, InvalidArgumentError } from 'commander';
import { SingleBar } from 'cli-progress';
import {
  FLEET_DEFAULTS,
  latestFleetStartUs,
  runFleet,
  seedSimulatedBlacklist,
} from '@magicport/device-model';
import { agentRuntimeOptions, openAgentRuntime, type AgentRuntime } from '../agent-runtime';
import { InputError } from '../input-file';
import { colourFor, escapeForTerminal } from '../output';
import { checkWritableFile } from '../output-paths';
import { formatMicros, parseTimeArg, TIME_ARG_HELP } from '../time-arg';
import { reportFailure } from './command-failure';
import { simulateSummary } from './simulate-summary';

interface SimulateFlags {
  seed: number;
  hosts: number;
  guests: number;
  boots: number;
  start: string;
  brokers?: string;
  journal?: string;
  manifest?: string;
  blacklist: boolean;
  logBytes: boolean;
  json: boolean;
  progress: boolean;
}

const NAME = 'magicport simulate';
/** 2250-01-01T00:00:00Z: event times end there (the event schema's range). */
const EVENT_TIME_END_US = Date.UTC(2250, 0, 1) * 1000;
/** How long a finished run waits for the bus to take what is journaled. */
const DRAIN_TIMEOUT_MS = 120_000;
/** After SIGINT the user wants out: a short drain, the rest stays journaled (Kafka). */
const INTERRUPTED_DRAIN_TIMEOUT_MS = 10_000;

const positiveInt = (name: string, max: number) => (value: string) => {
  const n = Number(value);
  if (!/^\s*\d+\s*$/.test(value) || !Number.isInteger(n) || n < 1 || n > max)
    throw new InvalidArgumentError(
      `${name} must be a whole number from 1 to ${max} (got ${escapeForTerminal(value)})`,
    );
  return n;
};

/**
 * `magicport simulate`: a deterministic simulated fleet driven through the recorder agent.
 * With --brokers (or KAFKA_BROKERS) its events go to Kafka; otherwise they stay in process.
 */
export function simulateCommand(): Command {
  return new Command('simulate')
    .description('drive a deterministic simulated fleet of guests through the recorder agent')
    .option(
      '--seed <n>',
      'seed: the same seed gives the same fleet and events',
      positiveInt('--seed', 2 ** 31),
      FLEET_DEFAULTS.seed,
    )
    .option('--hosts <n>', 'number of hosts', positiveInt('--hosts', 10_000), FLEET_DEFAULTS.hosts)
    .option(
      '--guests <n>',
      'number of guests',
      positiveInt('--guests', 1_000_000),
      FLEET_DEFAULTS.guests,
    )
    .option('--boots <n>', 'boots per guest', positiveInt('--boots', 1000), FLEET_DEFAULTS.boots)
    .option(
      '--start <time>',
      `fleet clock start (${TIME_ARG_HELP})`,
      formatMicros(FLEET_DEFAULTS.startUs),
    )
    .option(
      '--brokers <list>',
      'Kafka bootstrap servers host:port[,...] (default: $KAFKA_BROKERS; none = in-process)',
    )
    .option(
      '--journal <dir>',
      'agent journal directory (default ./.magicport/agent-journal/<source>: one per simulated seed)',
    )
    .option('--manifest <file>', 'write the ground-truth manifest (JSON) to this file')
    .option('--no-blacklist', 'do not add the simulated blacklist entries')
    .option(
      '--log-bytes',
      'forensic mode: record every log byte access as its own port.access',
      false,
    )
    .option('--json', 'print the manifest as JSON instead of tables', false)
    .option('--no-progress', 'no progress bar on stderr')
    .action((flags: SimulateFlags) => reportFailure(NAME, () => simulate(flags)));
}

async function simulate(flags: SimulateFlags): Promise<void> {
  const log = (line: string) => process.stderr.write(`${NAME}: ${line}\n`);
  // Everything that can be checked is checked before the runtime opens.
  const startUs = checkStart(flags.start, flags.boots);
  if (flags.manifest) await checkWritableFile(flags.manifest, '--manifest');
  const options = agentRuntimeOptions(flags);
  const runtime = await openAgentRuntime(options, log);
  const stop = stopOnSigint(runtime, log);
  const bar = flags.progress ? progressBar() : null;
  let guestsDone = 0;
  const began = Date.now();
  let generatedMs: number;
  let manifest;
  try {
    if (flags.blacklist) {
      const added = await seedSimulatedBlacklist(runtime.bus, runtime.agent.blacklist.view, {
        host: options.host,
        stream: `simulate-${process.pid}-${Date.now()}`,
        actor: 'magicport-simulate',
      });
      if (added > 0)
        log(
          `added ${added} simulated blacklist entries (revision ${runtime.agent.blacklist.view.revision})`,
        );
    }
    log(`running ${flags.guests} guests on ${flags.hosts} hosts, ${flags.boots} boots each`);
    bar?.start(flags.guests, 0, { events: 0, rate: 0 });
    manifest = await runFleet(
      runtime.agent,
      { ...FLEET_DEFAULTS, ...flags, startUs, logByteAccesses: flags.logBytes },
      {
        signal: stop.signal,
        onProgress: (p) => {
          guestsDone = p.guestsDone;
          bar?.update(p.guestsDone, {
            events: p.events,
            rate: Math.round(p.events / Math.max(0.001, (Date.now() - began) / 1000)),
          });
        },
      },
    );
    generatedMs = Date.now() - began;
  } finally {
    bar?.stop();
    await runtime.close(
      stop.signal.aborted ? INTERRUPTED_DRAIN_TIMEOUT_MS : DRAIN_TIMEOUT_MS,
      startUs,
    );
    stop.release();
  }
  const deliveredMs = Date.now() - began;
  const interrupted = stop.signal.aborted ? { guestsDone } : null;
  if (flags.manifest) await writeFile(flags.manifest, `${JSON.stringify(manifest, null, 2)}\n`);
  if (flags.json) process.stdout.write(`${JSON.stringify(manifest, null, 2)}\n`);
  else
    process.stdout.write(
      simulateSummary(manifest, {
        target: runtime.target,
        generatedMs,
        deliveredMs,
        interrupted,
        colour: colourFor(process.stdout),
      }),
    );
  if (interrupted) process.exitCode = 130;
}

function checkStart(start: string, boots: number): number {
  const startUs = parseTimeArg('--start', start);
  const shown = escapeForTerminal(start);
  if (startUs < 0)
    throw new InputError(`--start must be from 1970-01-01T00:00:00Z on (got ${shown})`);
  const latest = latestFleetStartUs(boots);
  if (startUs > latest)
    throw new InputError(
      `--start must be before 2250-01-01T00:00:00Z by the run's length: with --boots ${boots} events reach up to ${Math.ceil((EVENT_TIME_END_US - latest) / 3.6e9)} hours after the start, so start by ${formatMicros(Math.floor(latest / 1e6) * 1e6)} (got ${shown})`,
    );
  return startUs;
}

function progressBar(): SingleBar {
  return new SingleBar({
    format: 'guests {bar} {value}/{total} | {events} events | {rate} events/s',
    stream: process.stderr,
    noTTYOutput: !process.stderr.isTTY,
    notTTYSchedule: 5000,
  });
}

/**
 * First SIGINT/SIGTERM: finish the guest in progress, close the runtime, print what was done.
 * A second one leaves at once. Either way the user is told what happens to the journal.
 */
function stopOnSigint(runtime: AgentRuntime, log: (line: string) => void) {
  const controller = new AbortController();
  const fate = runtime.target.startsWith('kafka')
    ? `events not yet delivered stay in the journal ${escapeForTerminal(runtime.journalDir)} and go to Kafka on the next run with the same --journal`
    : 'the in-process journal is removed (its events lived only in this process)';
  const onSignal = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      log(`${signal} again: leaving now; ${fate}`);
      process.exit(130);
    }
    log(`${signal}: stopping after the current guest; ${fate}`);
    controller.abort(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    release: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
