import { MAGIC, PORT_MAGIC } from '../constants';
import type { DriverRun } from '../types';
import { report, type DriverReport } from './driver-report';
import { inw, outw } from './port-io';

export interface FreebsdOptions {
  /** Tunable `hw.xen.disable_pv_disks` != 0: keep the emulated disks. */
  disablePvDisks?: boolean;
  /** Tunable `hw.xen.disable_pv_nics` != 0: keep the emulated NICs. */
  disablePvNics?: boolean;
  /** PV domains have no emulated devices: nothing happens. */
  pv?: boolean;
}

/**
 * FreeBSD `xen_hvm_disable_emulated_devices()` (sys/x86/xen/hvm.c), run at SYSINIT and again
 * on resume (not on a cancelled suspend): magic, then the mask, and only when it is not 0.
 * No version read, no product or build, no blacklist check, silent on a mismatch.
 */
export function* freebsdDriver(options: FreebsdOptions = {}): DriverRun<DriverReport> {
  if (options.pv) return report('inactive');
  if ((yield* inw(PORT_MAGIC)) !== MAGIC) return report('no-platform');
  const mask = (options.disablePvDisks ? 0 : 0x01) | (options.disablePvNics ? 0 : 0x02);
  if (mask === 0) return report('completed');
  yield* outw(PORT_MAGIC, mask);
  return report('completed', [mask]);
}

export interface OpenbsdOptions {
  /** Softc flags the PV frontends set as they attach [I]: XSF_UNPLUG_IDE (default true). */
  unplugIde?: boolean;
  /** XSF_UNPLUG_IDESEC (default false). */
  unplugIdeSecondary?: boolean;
  /** XSF_UNPLUG_NIC (default true). */
  unplugNic?: boolean;
}

/**
 * OpenBSD `xen_disable_emulated_devices()` (sys/dev/pv/xen.c), after `xen_probe_devices`:
 * magic ("failed to disable emulated devices" on a mismatch), then the mask if not 0.
 * No version, product or build.
 */
export function* openbsdDriver(options: OpenbsdOptions = {}): DriverRun<DriverReport> {
  if ((yield* inw(PORT_MAGIC)) !== MAGIC) return report('no-platform');
  const mask =
    ((options.unplugIde ?? true) ? 0x01 : 0) |
    ((options.unplugNic ?? true) ? 0x02 : 0) |
    (options.unplugIdeSecondary ? 0x04 : 0);
  if (mask === 0) return report('completed');
  yield* outw(PORT_MAGIC, mask);
  return report('completed', [mask]);
}
