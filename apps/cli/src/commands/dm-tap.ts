import { Command, InvalidArgumentError, Option } from 'commander';
import {
  checkTapInput,
  checkTimeZone,
  TAP_FORMATS,
  runTap,
  TAP_DEFAULTS,
  type TapFormat,
  type TapOptions,
  type TapProgress,
  type TapResult,
} from '@magicport/device-model';
import type { ProfileName } from '@magicport/protocol';
import { agentRuntimeOptions, openAgentRuntime } from '../agent-runtime';
import { parseTimeArg, TIME_ARG_HELP } from '../time-arg';

interface TapFlags {
  file: string;
  follow: boolean;
  vm: string;
  host: string;
  domid: number;
  profile?: ProfileName;
  format: TapFormat | 'auto';
  origin?: number;
  tz?: string;
  brokers?: string;
  journal?: string;
  dm?: string;
  logBytes: boolean;
  json: boolean;
  progress: boolean;
}

/** How long a stopping tap waits for the bus to take what is journaled; the rest stays journaled. */
const DRAIN_TIMEOUT_MS = 30_000;

/** `magicport dm ...`: device-model instances fed from outside the simulator. */
export function dmCommand(): Command {
  return new Command('dm')
    .description('record real device models (QEMU trace / qemu-dm log taps)')
    .addCommand(tapCommand());
}

function tapCommand(): Command {
  return new Command('tap')
    .description(
      'record a QEMU trace log (cpu_in/cpu_out, memory_region_ops, xen_platform_log), a qemu-dm log or a Qubes stubdomain console log (guest-NAME-dm.log) as one device-model instance, with the responses the real device model gave',
    )
    .requiredOption('--file <path>', 'the trace or log file, or - to read stdin')
    .option(
      '--follow',
      'keep reading as the file grows, across rotation, until SIGINT/SIGTERM',
      false,
    )
    .requiredOption('--vm <uuid>', 'the guest UUID (lowercase canonical form)')
    .requiredOption('--host <name>', 'the machine the device model ran on')
    .option('--domid <n>', 'the guest domain id', domid, TAP_DEFAULTS.domid)
    .addOption(
      new Option(
        '--profile <profile>',
        'decoding profile (default: qemu-upstream for a trace or a Linux stubdomain, qemu-traditional for a qemu-dm log or a Mini-OS stubdomain)',
      ).choices(['qemu-upstream', 'qemu-traditional', 'spec']),
    )
    .addOption(
      new Option(
        '--format <format>',
        'input format (auto: decided from the lines; a given format is still checked against them)',
      )
        .choices(['auto', ...TAP_FORMATS])
        .default('auto'),
    )
    .option(
      '--origin <time>',
      `time of line 0 for lines without a time prefix (${TIME_ARG_HELP}; default 1970-01-01T00:00:00Z)`,
      originMicros,
    )
    .option(
      '--tz <zone>',
      "IANA time zone (e.g. Europe/Warsaw) of a console log's [YYYY-MM-DD HH:MM:SS] times, which name no zone (default: read as UTC)",
      timeZone,
    )
    .option(
      '--brokers <list>',
      'Kafka bootstrap servers (default: $KAFKA_BROKERS; none = in-process)',
    )
    .option(
      '--journal <dir>',
      'agent journal directory (default ./.magicport/agent-journal/<source>: one per --dm, or per file and guest)',
    )
    .option(
      '--dm <id>',
      'event stream id (default: derived from host, vm and the file, so a re-tap resumes)',
    )
    .option(
      '--log-bytes',
      'forensic mode: record every log byte access as its own port.access',
      false,
    )
    .option(
      '--json',
      'print the result (stream id, format, counts, issues) as JSON on stdout',
      false,
    )
    .option('--no-progress', 'no progress lines on stderr')
    .action(runTapCommand);
}

async function runTapCommand(flags: TapFlags): Promise<void> {
  const say = (line: string) => process.stderr.write(`magicport dm tap: ${line}\n`);
  const options: TapOptions = {
    ...TAP_DEFAULTS,
    path: flags.file,
    follow: flags.follow,
    format: flags.format,
    vm: flags.vm,
    host: flags.host,
    domid: flags.domid,
    profile: flags.profile ?? null,
    dm: flags.dm ?? null,
    originUs: flags.origin ?? TAP_DEFAULTS.originUs,
    tz: flags.tz ?? null,
    logByteAccesses: flags.logBytes,
  };
  await checkTapInput(options);
  const runtime = await openAgentRuntime(agentRuntimeOptions(flags), say);
  const stop = stopOnSignals(say);
  let result: TapResult;
  try {
    result = await runTap(runtime.agent, options, {
      signal: stop.signal,
      log: say,
      onProgress: flags.progress ? (p) => say(progressLine(p)) : undefined,
    });
  } finally {
    await runtime.close(DRAIN_TIMEOUT_MS, options.originUs);
    stop.release();
  }
  say(
    `${result.dm}: ${result.format} (${result.formatSource}), profile ${result.profile}, into ${runtime.target}; ${result.stoppedBy}`,
  );
  if (options.tz !== null && result.format !== 'qubes-stubdom')
    say(`--tz ${options.tz} not used: a ${result.format} file has no console times`);
  for (const line of result.report.summary()) say(line);
  if (result.report.syntheticTimes > 0 && result.format === 'qemu-dm')
    say(
      `a qemu-dm log has no times: its ${result.report.syntheticTimes} lines are timed 1 µs apart from the origin ${new Date(options.originUs / 1000).toISOString()} (--origin)`,
    );
  else if (result.report.syntheticTimes > 0)
    say(
      `${result.report.syntheticTimes} lines had no time prefix: each is timed 1 µs after the line before it, from the last prefix time or from the origin ${new Date(options.originUs / 1000).toISOString()} (--origin)`,
    );
  if (flags.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  const nothing = result.report.nothingRecognised();
  if (nothing !== null) {
    say(
      `nothing recognised: ${nothing} (is this a QEMU trace, a qemu-dm log or a stubdomain console log? see --format)`,
    );
    process.exitCode = 1;
  }
}

/** First SIGINT/SIGTERM stops the tap cleanly; a second one leaves at once (the journal keeps the rest). */
function stopOnSignals(say: (line: string) => void) {
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      say(
        `${signal} again: leaving now; undelivered events stay in the journal for the next start`,
      );
      process.exit(130);
    }
    say(`${signal}: stopping (draining to the bus for up to ${DRAIN_TIMEOUT_MS / 1000} s)`);
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

function progressLine(p: TapProgress): string {
  const share = p.fileBytes
    ? ` (${Math.min(100, Math.floor((p.bytes / p.fileBytes) * 100))}% of the file)`
    : '';
  return `${p.lines} lines${share}, ${p.events} events, ${p.unparseable} unparseable`;
}

function domid(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n))
    throw new InvalidArgumentError('must be a whole number');
  return n;
}

function timeZone(value: string): string {
  const problem = checkTimeZone(value);
  if (problem) throw new InvalidArgumentError(problem.replace(/^tz /, ''));
  return value;
}

function originMicros(value: string): number {
  try {
    return parseTimeArg('--origin', value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}
