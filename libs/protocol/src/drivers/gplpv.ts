import { MAGIC, PORT_MAGIC, PORT_PROTOCOL } from '../constants';
import type { DriverRun } from '../types';
import { report, type DriverReport } from './driver-report';
import { inb, inw, outl, outString, outw } from './port-io';

export const GPLPV_PRODUCT = 0x0002;
export const GPLPV_BUILD = 0x00000001;
/** 2026-01-01T00:00:00Z in milliseconds since 1601-01-01, the default log clock. */
export const GPLPV_DEFAULT_SYSTEM_TIME_MS = 13_411_699_200_000;

export interface GplpvOptions {
  /**
   * Whether DriverEntry hides the qemu devices through the ports: registry
   * `txt_hide_qemu_always`, or a boot without disks and without NOGPLPV / safe mode /
   * GPLPVUSEFILTERHIDE. When false GPLPV uses its filter-hide method and never touches the
   * ports. Default true.
   */
  hideQemu?: boolean;
  /** Registry multi-string `qemu_hide_flags`, OR-ed (xenvbd's INF adds 1, xennet's 2). */
  qemuHideFlags?: readonly number[];
  /** `boot` runs the handshake; `resume` (Xen or hibernate resume) rewrites the mask only. */
  phase?: 'boot' | 'resume';
  /** KeQuerySystemTime / 10000: milliseconds since 1601, read at the start of each line. */
  systemTimeMs?: () => number;
}

/** XnDebugPrint formats into 512 bytes and drops the whole message when it does not fit. */
const MESSAGE_BUFFER_BYTES = 512;

/**
 * GPLPV's debug print: each line starts with the decimal time and ": ", then the message,
 * one `outb` per character to 0x12. A time of 0 prints no digits (the digit loop finds none).
 */
function* gplpvLog(message: string, clock: () => number): DriverRun<void> {
  if (message.length + 1 > MESSAGE_BUFFER_BYTES) return;
  const ms = Math.max(0, Math.trunc(clock()));
  yield* outString(PORT_PROTOCOL, `${ms === 0 ? '' : ms}: ${message}`);
}

function* hideQemuDevices(mask: number, clock: () => number): DriverRun<void> {
  yield* outw(PORT_MAGIC, mask);
  yield* gplpvLog(`disabled qemu devices ${mask.toString(16).padStart(2, '0')}\n`, clock);
}

/**
 * GPLPV xenpci (James Harper's Windows PV drivers, xenpci.c): logs only once the magic
 * matched; accepts protocol versions 0 (straight to the mask) and 1; after the build write any
 * re-read other than 0x49d2 means blacklisted and no mask is written; the mask is written even
 * when 0. On resume only the mask is rewritten, with no handshake at all.
 */
export function* gplpvDriver(options: GplpvOptions = {}): DriverRun<DriverReport> {
  if (options.hideQemu === false) return report('inactive');
  const clock = options.systemTimeMs ?? (() => GPLPV_DEFAULT_SYSTEM_TIME_MS);
  const mask = (options.qemuHideFlags ?? [1, 2]).reduce((acc, flag) => acc | flag, 0) & 0xffff;
  if (options.phase === 'resume') {
    yield* hideQemuDevices(mask, clock);
    return report('completed', [mask]);
  }
  if ((yield* inw(PORT_MAGIC)) !== MAGIC) return report('no-platform');
  const version = yield* inb(PORT_PROTOCOL);
  yield* gplpvLog(`qemu version = ${version}\n`, clock);
  if (version === 1) {
    yield* outw(PORT_PROTOCOL, GPLPV_PRODUCT);
    yield* outl(PORT_MAGIC, GPLPV_BUILD);
    if ((yield* inw(PORT_MAGIC)) !== MAGIC) {
      yield* gplpvLog('qemu we are blacklisted\n', clock);
      return report('blacklisted');
    }
  } else if (version !== 0) {
    yield* gplpvLog(`unknown qemu version ${version}\n`, clock);
    return report('version-unsupported');
  }
  yield* hideQemuDevices(mask, clock);
  return report('completed', [mask]);
}
