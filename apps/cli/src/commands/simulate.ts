import { writeFile } from 'node:fs/promises';
import { Command, InvalidArgumentError } from 'commander';
import { SingleBar } from 'cli-progress';
import Table from 'cli-table3';
import {
  FLEET_DEFAULTS,
  runFleet,
  seedSimulatedBlacklist,
  type FleetManifest,
} from '@magicport/device-model';
import { agentRuntimeOptions, openAgentRuntime } from '../agent-runtime';

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

const positiveInt = (name: string, max: number) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max)
    throw new InvalidArgumentError(`${name} must be an integer from 1 to ${max}`);
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
      'fleet clock start (ISO-8601 UTC)',
      new Date(FLEET_DEFAULTS.startUs / 1000).toISOString(),
    )
    .option(
      '--brokers <list>',
      'Kafka bootstrap servers (default: $KAFKA_BROKERS; none = in-process)',
    )
    .option('--journal <dir>', 'agent journal directory (default ./.magicport/agent-journal)')
    .option('--manifest <file>', 'write the ground-truth manifest (JSON) to this file')
    .option('--no-blacklist', 'do not add the simulated blacklist entries')
    .option(
      '--log-bytes',
      'forensic mode: record every log byte access as its own port.access',
      false,
    )
    .option('--json', 'print the manifest as JSON instead of tables', false)
    .option('--no-progress', 'no progress bar on stderr')
    .action(async (flags: SimulateFlags) => {
      const startMs = Date.parse(flags.start);
      if (!/^\d{4}-\d\d-\d\dT/.test(flags.start) || Number.isNaN(startMs)) {
        throw new InvalidArgumentError(
          `--start must be an ISO-8601 time like 2026-11-01T00:00:00Z (got ${flags.start})`,
        );
      }
      const log = (line: string) => process.stderr.write(`magicport simulate: ${line}\n`);
      const options = agentRuntimeOptions(flags);
      const runtime = await openAgentRuntime(options, log);
      const { agent, bus } = runtime;
      if (flags.blacklist) {
        const added = await seedSimulatedBlacklist(bus, agent.blacklist.view, {
          host: options.host,
          stream: `simulate-${process.pid}-${Date.now()}`,
          actor: 'magicport-simulate',
        });
        if (added > 0)
          log(
            `added ${added} simulated blacklist entries (revision ${agent.blacklist.view.revision})`,
          );
      }
      const bar = flags.progress
        ? new SingleBar({
            format: 'guests {bar} {value}/{total} | {events} events | {rate} events/s',
            stream: process.stderr,
            noTTYOutput: !process.stderr.isTTY,
            notTTYSchedule: 5000,
          })
        : null;
      bar?.start(flags.guests, 0, { events: 0, rate: 0 });
      const began = Date.now();
      const manifest = await runFleet(
        agent,
        { ...FLEET_DEFAULTS, ...flags, startUs: startMs * 1000, logByteAccesses: flags.logBytes },
        (p) =>
          bar?.update(p.guestsDone, {
            events: p.events,
            rate: Math.round(p.events / Math.max(0.001, (Date.now() - began) / 1000)),
          }),
      );
      const generatedMs = Date.now() - began;
      await runtime.close(120_000, startMs * 1000);
      bar?.stop();
      const deliveredMs = Date.now() - began;
      if (flags.manifest) await writeFile(flags.manifest, `${JSON.stringify(manifest, null, 2)}\n`);
      if (flags.json) process.stdout.write(`${JSON.stringify(manifest, null, 2)}\n`);
      else process.stdout.write(summary(manifest, runtime.target, generatedMs, deliveredMs));
    });
}

function summary(
  m: FleetManifest,
  target: string,
  generatedMs: number,
  deliveredMs: number,
): string {
  const rate = (ms: number) =>
    Math.round(m.totalEvents / Math.max(0.001, ms / 1000)).toLocaleString('en-US');
  const results = new Table({ head: ['handshake result', 'count'] });
  for (const [result, count] of Object.entries(m.handshakeResults)) results.push([result, count]);
  const hits = new Table({
    head: ['blacklist key', 'handshakes', 'guests', 'honoured', 'ignored'],
  });
  for (const [key, h] of Object.entries(m.blacklistHits))
    hits.push([key, h.handshakes, h.guests, h.honoured, h.ignored]);
  const events = new Table({ head: ['event type', 'count'] });
  for (const [type, count] of Object.entries(m.eventsByType)) events.push([type, count]);
  return [
    `Simulated ${m.guests} guests on ${m.hosts} hosts, ${m.boots} boots each (seed ${m.seed}), into ${target}.`,
    `${m.totalEvents.toLocaleString('en-US')} events: generated in ${(generatedMs / 1000).toFixed(1)} s (${rate(generatedMs)}/s), delivered in ${(deliveredMs / 1000).toFixed(1)} s (${rate(deliveredMs)}/s).`,
    results.toString(),
    hits.toString(),
    events.toString(),
    '',
  ].join('\n');
}
