import { MAGIC, PORT_MAGIC, PORT_PROTOCOL } from '../constants';
import type { DriverRun } from '../types';
import { report, type DriverReport } from './driver-report';
import { inb, inw, outl, outw } from './port-io';
import {
  parseXenEmulUnplug,
  XEN_UNPLUG_ALL_IDE_DISKS,
  XEN_UNPLUG_ALL_NICS,
  XEN_UNPLUG_NEVER,
  XEN_UNPLUG_UNNECESSARY,
} from './xen-emul-unplug';

export const LINUX_PRODUCT = 0x0003;
export const LINUX_BUILD = 0x00000001;

export interface LinuxDriverOptions {
  /** The `xen_emul_unplug=` value; `undefined` = not on the command line (see the parser). */
  xenEmulUnplug?: string | null;
  /** netfront and platform-pci built in or as modules (default true). */
  netfront?: boolean;
  /** blkfront and platform-pci built in or as modules (default true). */
  blkfront?: boolean;
  /** PVH guests have no emulated devices: the driver does nothing (default false). */
  pvh?: boolean;
}

type PlatformCheck = 'ok' | 'magic' | 'protocol' | 'blacklist';

/**
 * `check_platform_magic()`: only protocol version 1 is accepted (0 too is "unknown"); any
 * re-read other than 0x49d2, not just 0xd249, means blacklisted.
 */
function* checkPlatformMagic(): DriverRun<PlatformCheck> {
  if ((yield* inw(PORT_MAGIC)) !== MAGIC) return 'magic';
  if ((yield* inb(PORT_PROTOCOL)) !== 1) return 'protocol';
  yield* outw(PORT_PROTOCOL, LINUX_PRODUCT);
  yield* outl(PORT_MAGIC, LINUX_BUILD);
  return (yield* inw(PORT_MAGIC)) === MAGIC ? 'ok' : 'blacklist';
}

const VERDICT: Record<Exclude<PlatformCheck, 'ok'>, DriverReport['verdict']> = {
  magic: 'no-platform',
  protocol: 'version-unsupported',
  blacklist: 'blacklisted',
};

/**
 * Linux `xen_unplug_emulated_devices()` (arch/x86/xen/platform-pci-unplug.c), run from
 * `xen_hvm_guest_init()` at boot and again from `xen_hvm_post_suspend()` after
 * save/restore/migration: running it again is the resume.
 * - PVH or `never`: no access at all.
 * - Any failed check stops it, except a magic mismatch with `unnecessary`, which goes on
 *   (there is nothing to write in that case anyway).
 * - No option: NICS if netfront is built, IDE disks if blkfront is built.
 * - Unless `unnecessary`, the mask is written even when it is 0 (kernel without frontends).
 * Linux never logs through port 0x12 and never touches the platform flags byte.
 */
export function* linuxDriver(options: LinuxDriverOptions = {}): DriverRun<DriverReport> {
  let flags = parseXenEmulUnplug(options.xenEmulUnplug).flags;
  if (options.pvh || flags & XEN_UNPLUG_NEVER) return report('inactive');
  const check = yield* checkPlatformMagic();
  const unnecessary = (flags & XEN_UNPLUG_UNNECESSARY) !== 0;
  if (check !== 'ok' && !(check === 'magic' && unnecessary)) return report(VERDICT[check]);
  if (flags === 0) {
    if (options.netfront ?? true) flags |= XEN_UNPLUG_ALL_NICS;
    if (options.blkfront ?? true) flags |= XEN_UNPLUG_ALL_IDE_DISKS;
  }
  if (unnecessary) return report(check === 'ok' ? 'completed' : 'no-platform');
  yield* outw(PORT_MAGIC, flags);
  return report('completed', [flags]);
}
