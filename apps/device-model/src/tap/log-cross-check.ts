/**
 * QEMU traces the 1-byte `cpu_out 0x12` that completes a guest line before the device model
 * flushes it as `xen_platform_log`, so each such event should match the oldest line the recorder
 * rebuilt from the byte accesses and not yet checked. The bytes are the record; the event's text
 * is only compared with them.
 */
const MAX_WAITING = 64;

export type CrossCheckResult = 'match' | 'mismatch' | 'nothing-rebuilt';

export class LogCrossCheck {
  private waiting: Buffer[] = [];

  /** A line the recorder rebuilt from byte accesses. */
  rebuilt(bytes: Buffer): void {
    // Without xen_platform_log in the trace nothing is ever compared: keep only the newest.
    if (this.waiting.length === MAX_WAITING) this.waiting.shift();
    this.waiting.push(bytes);
  }

  /** A `xen_platform_log` line's text, as the raw bytes of the trace file. */
  check(traced: Buffer): CrossCheckResult {
    const rebuilt = this.waiting.shift();
    if (rebuilt === undefined) return 'nothing-rebuilt';
    return printed(rebuilt).equals(traced) ? 'match' : 'mismatch';
  }
}

/**
 * What `xen_platform_log("%s")` prints of a rebuilt line: up to its first NUL. A trailing CR is
 * dropped as the trace line parser drops it (CRLF files).
 */
function printed(bytes: Buffer): Buffer {
  const nul = bytes.indexOf(0);
  const cut = nul === -1 ? bytes : bytes.subarray(0, nul);
  return cut.length > 0 && cut[cut.length - 1] === 0x0d ? cut.subarray(0, -1) : cut;
}
