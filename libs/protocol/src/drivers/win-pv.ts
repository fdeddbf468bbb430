import { MAGIC, MAGIC_BLACKLISTED, PORT_MAGIC, PORT_PROTOCOL } from '../constants';
import type { DriverRun } from '../types';
import { report, type DriverReport } from './driver-report';
import { inb, inw, outl, outString, outw } from './port-io';

/** xenbus writes the `experimental` product number ("FIXME" in the source). */
export const WIN_PV_PRODUCT = 0xffff;

export interface WinPvVersion {
  major: number;
  minor: number;
  micro: number;
}

export interface WinPvOptions {
  /** Driver version, sent as the build number (default 9.1.0, build.ps1's default). */
  version?: WinPvVersion;
  /**
   * `2026` (f34c2fc) unplugs disks with 0x0009 (IDE/SCSI | NVMe); `pre-2026` (and the 2015
   * xenfilt) with 0x0001. Default `2026`.
   */
  release?: '2026' | 'pre-2026';
  /** Unplug requested for disks / NICs (registry ForceUnplug or Unplug counters; default true). */
  disks?: boolean;
  nics?: boolean;
  /** Start option `XEN:BOOT_EMULATED=TRUE`: disks are unplugged with 0x0004 (AUX) instead. */
  bootEmulated?: boolean;
  /**
   * `boot` logs xen.sys's DllInitialize banner first (before any magic read); `resume`
   * (after Xen suspend/resume or hibernate) runs the unplug only. Default `boot`.
   */
  phase?: 'boot' | 'resume';
  /** Banner lines for `boot`; default the version line xen.sys logs. */
  banner?: readonly string[];
  /** `UnplugContext.BlackListed` is never cleared: a resume after a blacklisted run stays so. */
  alreadyBlacklisted?: boolean;
}

const DEFAULT_VERSION: WinPvVersion = { major: 9, minor: 1, micro: 0 };
/** LogPrintf formats into a 256-byte slot; longer messages are cut (newline included). */
const LOG_SLOT_BYTES = 256;

/** The build number win-pv sends: (MAJOR << 16) | (MINOR << 8) | MICRO. 9.1.0 -> 590080. */
export function winPvBuild(version: WinPvVersion = DEFAULT_VERSION): number {
  return ((version.major << 16) | (version.minor << 8) | version.micro) >>> 0;
}

function defaultBanner(v: WinPvVersion): string[] {
  // Info() from DllInitialize; build number and date vary per build [I].
  return [`XEN|DllInitialize: ${v.major}.${v.minor}.${v.micro} (0) (01.01.2026)\n`];
}

/** xen.sys's QEMU log disposition: the whole buffer in one `rep outsb` to 0x12. */
const log = (message: string) => outString(PORT_PROTOCOL, message.slice(0, LOG_SLOT_BYTES));

type Preamble = { ok: boolean; blacklisted: boolean };

/** `UnplugPreamble()`: 0xd249 on the first read skips the handshake; any version != 0 is ">= 1". */
function* preamble(build: number, blacklistedBefore: boolean): DriverRun<Preamble> {
  let blacklisted = blacklistedBefore;
  const magic = yield* inw(PORT_MAGIC);
  if (magic === MAGIC_BLACKLISTED) blacklisted = true;
  else if (magic !== MAGIC) return { ok: false, blacklisted };
  else if ((yield* inb(PORT_PROTOCOL)) !== 0) {
    yield* outw(PORT_PROTOCOL, WIN_PV_PRODUCT);
    yield* outl(PORT_MAGIC, build);
    if ((yield* inw(PORT_MAGIC)) === MAGIC_BLACKLISTED) blacklisted = true;
  }
  yield* log(`UNPLUG: PRE-AMBLE (DRIVERS ${blacklisted ? 'BLACKLISTED' : 'NOT BLACKLISTED'})\n`);
  return { ok: true, blacklisted };
}

/**
 * win-pv xenbus `UnplugDevices()` (src/xen/unplug.c), with xen.sys's banner at boot.
 * - The banner goes to 0x12 before any magic read (contrary to the spec's logging rule).
 * - BlackListed is only logged: the requested devices are unplugged anyway.
 * - Disks and NICs are separate mask writes, each followed by its log line.
 * - On a magic mismatch the preamble fails, but its status is only ASSERTed, so a free build
 *   still writes the masks, without the PRE-AMBLE line [I, derived from the code].
 */
export function* winPvDriver(options: WinPvOptions = {}): DriverRun<DriverReport> {
  const version = options.version ?? DEFAULT_VERSION;
  if ((options.phase ?? 'boot') === 'boot') {
    for (const line of options.banner ?? defaultBanner(version)) yield* log(line);
  }
  const pre = yield* preamble(winPvBuild(version), options.alreadyBlacklisted ?? false);
  const masks: number[] = [];
  if (options.disks ?? true) {
    const aux = options.bootEmulated ?? false;
    const mask = aux ? 0x0004 : options.release === 'pre-2026' ? 0x0001 : 0x0009;
    yield* outw(PORT_MAGIC, mask);
    yield* log(aux ? 'UNPLUG: AUX DISKS\n' : 'UNPLUG: DISKS\n');
    masks.push(mask);
  }
  if (options.nics ?? true) {
    yield* outw(PORT_MAGIC, 0x0002);
    yield* log('UNPLUG: NICS\n');
    masks.push(0x0002);
  }
  return report(pre.ok ? 'completed' : 'no-platform', masks, pre.blacklisted);
}
