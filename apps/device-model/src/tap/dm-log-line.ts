import { guestDriverShape } from './guest-line-shapes';
import { isDeviceModelMessage, isPlatformMessage } from './qemu-trad-messages';
import { isStubdomLine } from './stubdom-lines';

/**
 * One line of a qemu-dm (qemu-xen-traditional) log, `qemu-dm-<domain>.log`. qemu-dm writes
 * plain `fprintf(logfile, ...)` text with no prefix or time, and prints each guest log line
 * verbatim (`"%s\n"`) among its own messages. Each line is classified from positive evidence:
 * qemu-dm's (and distributions') own message formats are the device model's, the known shapes
 * of guest drivers' lines are the guest's, anything else is unattributed. A guest can print
 * qemu-dm's messages itself; the log cannot tell.
 */
export type DmLogLine =
  /** "Citrix Windows PV drivers loaded in guest" (1), "Unknown PV product %d ..." / "...product 0?". */
  | { kind: 'product'; product: number }
  /** "PV driver build %d"; `accepted` false: "Drivers tried to set their version number ... ?" */
  | { kind: 'build'; build: number; accepted: boolean }
  /** "Drivers are blacklisted!": from now on every magic read answers 0xd249 (`text`: in case a guest printed it). */
  | { kind: 'blacklisted'; text: string }
  /**
   * The device model's own output: qemu-dm's messages, a distribution patch's, or (in a
   * stubdomain's console log) the stubdomain's system. `platform`: one of the platform
   * device's messages, which prove the file is a qemu-dm log.
   */
  | { kind: 'dm-message'; platform: boolean }
  /**
   * A guest log line: it has a guest driver's shape, or qemu-dm's "throttling ..." notice (no
   * newline, printed only before a guest line) led it (`throttled`).
   */
  | { kind: 'guest'; text: string; throttled: boolean }
  /** Neither side's known shape: kept as a guest.log marked unattributed. */
  | { kind: 'unattributed'; text: string }
  | { kind: 'unparseable'; reason: string };

export interface DmLogContext {
  /** The log is a stubdomain's console: its own system's boot output is the device model's too. */
  stubdom: boolean;
}

/** throttle() prints this once per process without a newline: it leads the next guest line. */
export const THROTTLE_NOTICE = 'throttling guest access to syslog';
/** A guest line is at most 4095 bytes; with the throttle notice before it, this many. */
export const MAX_DM_LOG_LINE = 4095 + THROTTLE_NOTICE.length;

const PRODUCT_UNKNOWN = /^Unknown PV product (\d{1,5}) loaded in guest$/;
const BUILD = /^PV driver build (-?\d{1,10})$/;
const BUILD_EARLY =
  /^Drivers tried to set their version number \((-?\d{1,10})\) before setting the product number\?$/;

export function parseDmLogLine(raw: string, context: DmLogContext = { stubdom: false }): DmLogLine {
  const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
  if (line.length > MAX_DM_LOG_LINE)
    return { kind: 'unparseable', reason: `longer than any qemu-dm line (${line.length} bytes)` };
  // qemu-dm prints guest lines with %s, which stops at NUL: a NUL byte means junk.
  if (line.includes('\0')) return { kind: 'unparseable', reason: 'binary data (NUL byte)' };
  if (line.startsWith(THROTTLE_NOTICE)) {
    return { kind: 'guest', text: line.slice(THROTTLE_NOTICE.length), throttled: true };
  }
  const fact = platformFact(line);
  if (fact) return fact;
  if (isPlatformMessage(line)) return { kind: 'dm-message', platform: true };
  if (isDeviceModelMessage(line) || (context.stubdom && isStubdomLine(line)))
    return { kind: 'dm-message', platform: false };
  if (guestDriverShape(line)) return { kind: 'guest', text: line, throttled: false };
  return { kind: 'unattributed', text: line };
}

/** The platform device's messages that state a protocol step. */
function platformFact(line: string): DmLogLine | null {
  if (line === 'Citrix Windows PV drivers loaded in guest') return { kind: 'product', product: 1 };
  if (line === 'Guest claimed to be running PV product 0?') return { kind: 'product', product: 0 };
  if (line === 'Drivers are blacklisted!') return { kind: 'blacklisted', text: line };
  const unknown = PRODUCT_UNKNOWN.exec(line);
  if (unknown) {
    // The product is a 16-bit write: qemu-dm cannot print a bigger one, so a guest did.
    if (Number(unknown[1]) <= 0xffff) return { kind: 'product', product: Number(unknown[1]) };
    return { kind: 'guest', text: line, throttled: false };
  }
  const build = BUILD.exec(line) ?? BUILD_EARLY.exec(line);
  if (build) {
    const signed = Number(build[1]);
    // %d of a uint32_t: builds from 2^31 print negative.
    if (signed >= -(2 ** 31) && signed < 2 ** 31) {
      return { kind: 'build', build: signed >>> 0, accepted: build[0].startsWith('PV') };
    }
    return { kind: 'guest', text: line, throttled: false };
  }
  return null;
}
