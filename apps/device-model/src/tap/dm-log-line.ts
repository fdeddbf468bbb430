/**
 * One line of a qemu-dm (qemu-xen-traditional) log, `qemu-dm-<domain>.log`. qemu-dm writes
 * plain `fprintf(logfile, ...)` text with no prefix or time, and prints each guest log line
 * verbatim (`"%s\n"`), so a guest line can only be told apart from qemu-dm's own output by not
 * being one of the messages below. A guest can print those messages itself; the log cannot tell.
 */
export type DmLogLine =
  /** "Citrix Windows PV drivers loaded in guest" (1), "Unknown PV product %d ..." / "...product 0?". */
  | { kind: 'product'; product: number }
  /** "PV driver build %d"; `accepted` false: "Drivers tried to set their version number ... ?" */
  | { kind: 'build'; build: number; accepted: boolean }
  /** "Drivers are blacklisted!": from now on every magic read answers 0xd249 (`text`: in case a guest printed it). */
  | { kind: 'blacklisted'; text: string }
  /** qemu-dm's other platform-device messages (ROM flags, log throttling, registration). */
  | { kind: 'dm-message' }
  /** A guest log line; `throttled` when qemu-dm's "throttling ..." notice (no newline) led it. */
  | { kind: 'guest'; text: string; throttled: boolean }
  | { kind: 'unparseable'; reason: string };

/** throttle() prints this once per process without a newline: it leads the next guest line. */
export const THROTTLE_NOTICE = 'throttling guest access to syslog';
/** A guest line is at most 4095 bytes; with the throttle notice before it, this many. */
export const MAX_DM_LOG_LINE = 4095 + THROTTLE_NOTICE.length;

const PRODUCT_UNKNOWN = /^Unknown PV product (\d{1,5}) loaded in guest$/;
const BUILD = /^PV driver build (-?\d{1,10})$/;
const BUILD_EARLY =
  /^Drivers tried to set their version number \((-?\d{1,10})\) before setting the product number\?$/;
const DM_MESSAGES = [
  /^platform_fixed_ioport: changed ro\/rw state of ROM memory area\. now is r[ow] state\.$/,
  /^platform_fixed_ioport: unable to change ro\/rw state of ROM memory area!$/,
  /^log_throttling (?:disabled|enabled)$/,
  /^tried to get \d+ tokens, but bucket size is \d+$/,
  /^Warning: attempted (?:read from|write of 0x[0-9a-f]+ to) physical address 0x[0-9a-f]+ in xen platform mmio space$/,
  /^(?:Register xen platform|Done register platform)\.$/,
];

export function parseDmLogLine(raw: string): DmLogLine {
  const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
  if (line.length > MAX_DM_LOG_LINE)
    return { kind: 'unparseable', reason: `longer than any qemu-dm line (${line.length} bytes)` };
  // qemu-dm prints guest lines with %s, which stops at NUL: a NUL byte means junk.
  if (line.includes('\0')) return { kind: 'unparseable', reason: 'binary data (NUL byte)' };
  if (line.startsWith(THROTTLE_NOTICE)) {
    return { kind: 'guest', text: line.slice(THROTTLE_NOTICE.length), throttled: true };
  }
  return platformMessage(line) ?? { kind: 'guest', text: line, throttled: false };
}

function platformMessage(line: string): DmLogLine | null {
  if (line === 'Citrix Windows PV drivers loaded in guest') return { kind: 'product', product: 1 };
  if (line === 'Guest claimed to be running PV product 0?') return { kind: 'product', product: 0 };
  if (line === 'Drivers are blacklisted!') return { kind: 'blacklisted', text: line };
  const unknown = PRODUCT_UNKNOWN.exec(line);
  // The product is a 16-bit write: a bigger number is not qemu-dm's (a guest line, then).
  if (unknown && Number(unknown[1]) <= 0xffff)
    return { kind: 'product', product: Number(unknown[1]) };
  const build = BUILD.exec(line) ?? BUILD_EARLY.exec(line);
  if (build) {
    const signed = Number(build[1]);
    // %d of a uint32_t: builds from 2^31 print negative.
    if (signed >= -(2 ** 31) && signed < 2 ** 31) {
      return { kind: 'build', build: signed >>> 0, accepted: build[0].startsWith('PV') };
    }
  }
  if (DM_MESSAGES.some((message) => message.test(line))) return { kind: 'dm-message' };
  return null;
}
