import { MAGIC, PORT_MAGIC, PORT_PROTOCOL } from '../constants';
import type { DriverRun } from '../types';
import { report, type DriverReport } from './driver-report';
import { inb, inw, outl, outw } from './port-io';

/** "NB: register a proper one": these modules send the `experimental` product number. */
export const UNMODIFIED_DRIVERS_PRODUCT = 0xffff;
const UNPLUG_ALL = 7;
/** The platform BAR must span the protocol's ports, or the backend is "too old". */
const MIN_PLATFORM_IO_LENGTH = 0x16;

/** KERNEL_VERSION(a, b, c) as `LINUX_VERSION_CODE` spells it. */
export function kernelVersion(major: number, minor: number, patch: number): number {
  return (major << 16) + (minor << 8) + Math.min(patch, 255);
}

export interface DevUnplug {
  flags: number;
  warnings: string[];
}

const DEV_UNPLUG_OPTIONS: ReadonlyMap<string, number> = new Map([
  ['all', UNPLUG_ALL],
  ['ide-disks', 1],
  ['aux-ide-disks', 4],
  ['nics', 2],
]);

/**
 * The `dev_unplug` module parameter as platform-pci.c parses it: exact `strcmp`, `never`
 * resets the mask to 0 (so order matters: `never,nics` -> 2), absent -> all (7). The loop
 * calls `strchr(dev_unplug, ',')` on the start of the string, not on the current token, so
 * only the first comma splits: `ide-disks,nics,aux-ide-disks` parses `ide-disks` and then
 * the unrecognised `nics,aux-ide-disks` [I, derived from the code].
 */
export function parseDevUnplug(value: string | undefined): DevUnplug {
  if (value === undefined) return { flags: UNPLUG_ALL, warnings: [] };
  const comma = value.indexOf(',');
  const tokens = comma < 0 ? [value] : [value.slice(0, comma), value.slice(comma + 1)];
  const result: DevUnplug = { flags: 0, warnings: [] };
  for (const token of tokens) {
    const bits = DEV_UNPLUG_OPTIONS.get(token);
    if (bits !== undefined) result.flags |= bits;
    else if (token === 'never') result.flags = 0;
    else result.warnings.push(`unrecognised option '${token}' in module parameter 'dev_unplug'`);
  }
  return result;
}

export interface UnmodifiedDriversOptions {
  /** `dev_unplug` module parameter; undefined = not given (unplug all). */
  devUnplug?: string;
  /** The kernel's LINUX_VERSION_CODE; the build number is this << 8 (default 2.6.32). */
  linuxVersionCode?: number;
  /** Length of the platform device's I/O BAR (default 0x100). */
  platformIoLength?: number;
}

/**
 * Xen `unmodified_drivers` platform-pci `check_platform_magic()` (removed from Xen in 2020),
 * the PV-on-HVM modules for older Linux: version 1 sends product 0xffff and the kernel
 * version as build, then a re-read other than 0x49d2 means blacklisted (no mask); otherwise it
 * falls through to the version-0 case, which writes the mask straight away (even 0).
 * Any other version: "failed backend handshake". Also re-run at resume.
 */
export function* unmodifiedDriver(options: UnmodifiedDriversOptions = {}): DriverRun<DriverReport> {
  const mask = parseDevUnplug(options.devUnplug).flags;
  if ((options.platformIoLength ?? 0x100) < MIN_PLATFORM_IO_LENGTH) return report('inactive');
  if ((yield* inw(PORT_MAGIC)) !== MAGIC) return report('no-platform');
  const version = yield* inb(PORT_PROTOCOL);
  if (version === 1) {
    const build = (options.linuxVersionCode ?? kernelVersion(2, 6, 32)) * 256;
    yield* outw(PORT_PROTOCOL, UNMODIFIED_DRIVERS_PRODUCT);
    yield* outl(PORT_MAGIC, build);
    if ((yield* inw(PORT_MAGIC)) !== MAGIC) return report('blacklisted');
  } else if (version !== 0) return report('version-unsupported');
  yield* outw(PORT_MAGIC, mask);
  return report('completed', [mask]);
}
