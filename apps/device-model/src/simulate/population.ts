import type { DriverSpec, ProfileName } from '@magicport/protocol';
import { Rng } from './rng';

/** What kind of guest this is, as the manifest counts them. */
export type GuestKind =
  | 'linux'
  | 'win-pv'
  | 'xenserver-windows'
  | 'gplpv'
  | 'freebsd'
  | 'unmodified-drivers'
  | 'protocol-breaker';

export interface HostPlan {
  name: string;
  profile: ProfileName;
  enforceBlacklist: boolean;
}

export interface GuestPlan {
  index: number;
  vm: string;
  host: HostPlan;
  domid: number;
  kind: GuestKind;
  /** The reference driver, or null for a protocol breaker (random accesses). */
  driver: DriverSpec | null;
  /** XenServer vendor builds announce product 4 or 5 instead of win-pv's 0xffff. */
  productOverride: number | null;
  /** Chance that a boot is followed by a resume/migration (the handshake repeats). */
  resumeChance: number;
  /** Writes a burst of log lines at boot (exercises the rate limiters). */
  logFlood: boolean;
  /** Start of the first boot, microseconds after the fleet's start. */
  offsetUs: number;
}

export interface PopulationOptions {
  seed: number;
  hosts: number;
  guests: number;
}

const HOST_PROFILES: ReadonlyArray<readonly [number, ProfileName]> = [
  [5, 'qemu-upstream'],
  [3, 'qemu-traditional'],
  [2, 'spec'],
];

const KINDS: ReadonlyArray<readonly [number, GuestKind]> = [
  [38, 'linux'],
  [27, 'win-pv'],
  [8, 'xenserver-windows'],
  [9, 'gplpv'],
  [9, 'freebsd'],
  [6, 'unmodified-drivers'],
  [3, 'protocol-breaker'],
];

/** `xen_emul_unplug=` as fleets set it: mostly unset, a few odd ones (prefixes, trailing comma). */
const LINUX_UNPLUG: ReadonlyArray<readonly [number, string | null]> = [
  [50, null],
  [10, 'all'],
  [8, 'unnecessary'],
  [6, 'never'],
  [6, 'nics'],
  [5, 'ide-disks,nics'],
  [4, 'aux-ide-disks,nics'],
  [3, 'nics,'],
  [3, 'n'],
  [2, 'ide'],
  [3, 'bogus'],
];

const WIN_PV_VERSIONS = [
  { major: 8, minor: 2, micro: 1 },
  { major: 9, minor: 0, micro: 0 },
  { major: 9, minor: 1, micro: 0 },
  { major: 9, minor: 1, micro: 1 },
];

/** A realistic fleet, the same for the same seed, as one array (small fleets, tests, tools). */
export function planFleet(options: PopulationOptions): GuestPlan[] {
  return [...planGuests(options)];
}

/**
 * The same fleet one guest at a time: what a run holds is the hosts and one plan, whatever the
 * number of guests. Guest `index` draws from its own fork of the seed, so streaming changes
 * nothing in the plans.
 */
export function* planGuests(options: PopulationOptions): Generator<GuestPlan, void, undefined> {
  const rng = new Rng(options.seed);
  const hosts = planHosts(rng, options.hosts);
  const nextDomid = new Array<number>(hosts.length).fill(0);
  for (let index = 0; index < options.guests; index++) {
    const g = rng.fork(index);
    const hostIndex = g.int(0, hosts.length - 1);
    const host = hosts[hostIndex]!;
    const domid = ++nextDomid[hostIndex]!;
    const kind = g.weighted(KINDS);
    const { driver, productOverride } = driverFor(kind, g);
    yield {
      index,
      vm: g.uuid(),
      host,
      domid,
      kind,
      driver,
      productOverride,
      resumeChance: kind === 'protocol-breaker' ? 0 : 0.15,
      logFlood: kind !== 'protocol-breaker' && g.chance(0.005),
      offsetUs: g.int(0, 3600) * 1_000_000 + g.int(0, 999_999),
    };
  }
}

function planHosts(rng: Rng, count: number): HostPlan[] {
  return Array.from({ length: count }, (_, i) => {
    const profile = rng.weighted(HOST_PROFILES);
    return {
      name: `host-${String(i + 1).padStart(3, '0')}`,
      profile,
      enforceBlacklist: profile === 'spec' && rng.chance(0.5),
    };
  });
}

function driverFor(
  kind: GuestKind,
  g: Rng,
): { driver: DriverSpec | null; productOverride: number | null } {
  switch (kind) {
    case 'linux':
      return {
        driver: {
          driver: 'linux',
          options: {
            xenEmulUnplug: g.weighted(LINUX_UNPLUG),
            netfront: g.chance(0.95),
            blkfront: g.chance(0.9),
          },
        },
        productOverride: null,
      };
    case 'win-pv':
    case 'xenserver-windows':
      return {
        driver: {
          driver: 'win-pv',
          options: {
            version: g.pick(WIN_PV_VERSIONS),
            release: g.chance(0.6) ? '2026' : 'pre-2026',
            bootEmulated: g.chance(0.05),
            nics: g.chance(0.95),
          },
        },
        productOverride: kind === 'xenserver-windows' ? g.pick([4, 5]) : null,
      };
    case 'gplpv':
      return {
        driver: { driver: 'gplpv', options: { qemuHideFlags: g.chance(0.9) ? [1, 2] : [2] } },
        productOverride: null,
      };
    case 'freebsd':
      return {
        driver: {
          driver: 'freebsd',
          options: { disablePvDisks: g.chance(0.1), disablePvNics: g.chance(0.1) },
        },
        productOverride: null,
      };
    case 'unmodified-drivers':
      return {
        driver: {
          driver: 'unmodified-drivers',
          options: { devUnplug: g.chance(0.8) ? undefined : 'never' },
        },
        productOverride: null,
      };
    case 'protocol-breaker':
      return { driver: null, productOverride: null };
  }
}
