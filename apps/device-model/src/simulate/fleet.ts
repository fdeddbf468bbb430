import { EVENT_TIME_END_MICROS, type GuestEvent } from '@magicport/events';
import type { Agent } from '../agent';
import { simulateBoot } from './guest-life';
import { ManifestBuilder, type FleetManifest } from './manifest';
import { planGuests, type GuestPlan } from './population';
import { Rng } from './rng';

export interface FleetOptions {
  seed: number;
  hosts: number;
  guests: number;
  boots: number;
  /** Fleet clock start, microseconds since the epoch. */
  startUs: number;
  idleGapMs: number;
  /** Forensic mode: record each log byte access as its own port.access too. */
  logByteAccesses: boolean;
  /** Pause generating while this many journal bytes wait for the bus. */
  maxBacklogBytes: number;
}

export const FLEET_DEFAULTS = {
  seed: 1,
  hosts: 10,
  guests: 100,
  boots: 2,
  startUs: Date.UTC(2026, 10, 1) * 1000,
  idleGapMs: 5_000,
  logByteAccesses: false,
  maxBacklogBytes: 64 * 1024 * 1024,
} satisfies FleetOptions;

export interface FleetProgress {
  guestsDone: number;
  guests: number;
  events: number;
}

const HOUR_US = 3_600_000_000;
/** A guest's first boot starts within the fleet's first hour (population.ts: offsetUs). */
const MAX_OFFSET_US = 3_601_000_000;
/**
 * At most one boot's worth of fleet time (guest-life.ts): seconds of firmware, driver and log
 * flood, a resume up to 2 h later, then up to 48 h to the next boot; a minute spare.
 */
const MAX_BOOT_SPAN_US = 50 * HOUR_US + 60_000_000;

/** No event of the run is at or after this time (microseconds): for checking `startUs`. */
export function fleetEndBoundUs(options: Pick<FleetOptions, 'startUs' | 'boots'>): number {
  return options.startUs + MAX_OFFSET_US + options.boots * MAX_BOOT_SPAN_US;
}

/**
 * The latest `startUs` whose every event still falls in the event time range (before 2250):
 * checked before a run, since an event that cannot be encoded would stop it half way.
 */
export function latestFleetStartUs(boots: number): number {
  return EVENT_TIME_END_MICROS - fleetEndBoundUs({ startUs: 0, boots });
}

export interface FleetRunControl {
  onProgress?: (p: FleetProgress) => void;
  /** Stops the run after the guest in progress (its boots finish, so its stream is whole). */
  signal?: AbortSignal;
}
const YIELD_EVERY_EVENTS = 300;

/** The dm instance id of a simulated guest: stable for a seed, so a rerun resumes its stream. */
export function simulatedDmId(plan: GuestPlan): string {
  return `${plan.host.name}.dm-${plan.vm.slice(0, 8)}-${plan.index}`;
}

/**
 * Runs a deterministic simulated fleet through the agent: every guest lives on its own
 * device-model instance for `boots` boots, with firmware POST, its reference driver, the odd
 * log flood and resume. Time advances like a fleet's (guests start within the first hour, boots
 * hours apart); the run itself goes as fast as the agent takes it.
 */
export async function runFleet(
  agent: Agent,
  options: FleetOptions,
  control: FleetRunControl | ((p: FleetProgress) => void) = {},
): Promise<FleetManifest> {
  const { onProgress = () => undefined, signal } =
    typeof control === 'function' ? { onProgress: control } : control;
  const manifest = new ManifestBuilder({
    seed: options.seed,
    hosts: options.hosts,
    guests: options.guests,
    boots: options.boots,
    start: new Date(options.startUs / 1000).toISOString(),
  });
  let events = 0;
  let eventsAtYield = 0;
  const observe = (event: GuestEvent) => {
    events++;
    manifest.observe(event);
  };
  for (const plan of planGuests(options)) {
    if (signal?.aborted) break;
    manifest.guest(plan);
    runGuest(agent, options, plan, observe);
    onProgress({ guestsDone: plan.index + 1, guests: options.guests, events });
    // Every few thousand events let the journal writer and the shipper run (one write for
    // many guests); hold back while delivery is far behind.
    if (events - eventsAtYield < YIELD_EVERY_EVENTS) continue;
    eventsAtYield = events;
    await new Promise((r) => setImmediate(r));
    while (agent.backlogBytes > options.maxBacklogBytes && !signal?.aborted)
      await new Promise((r) => setTimeout(r, 20));
  }
  return manifest.build();
}

/** One guest's whole life on its own device-model instance; nothing of it is kept after. */
function runGuest(
  agent: Agent,
  options: FleetOptions,
  plan: GuestPlan,
  observe: (event: GuestEvent) => void,
): void {
  const rng = new Rng(options.seed).fork(1_000_000 + plan.index);
  const dm = agent.instance(
    {
      host: plan.host.name,
      dm: simulatedDmId(plan),
      vm: plan.vm,
      domid: plan.domid,
      profile: plan.host.profile,
      enforceBlacklist: plan.host.enforceBlacklist,
      idleGapMs: options.idleGapMs,
      logByteAccesses: options.logByteAccesses,
      source: 'simulated',
    },
    observe,
  );
  let t = options.startUs + plan.offsetUs;
  dm.start(t);
  for (let boot = 0; boot < options.boots; boot++) {
    if (boot > 0) dm.reboot(t);
    t = simulateBoot(plan, dm, rng, t + 1_000_000);
    t += rng.int(2, 48) * HOUR_US;
    dm.advance(t);
  }
  dm.stop('guest-shutdown', t);
  agent.release(simulatedDmId(plan));
}
