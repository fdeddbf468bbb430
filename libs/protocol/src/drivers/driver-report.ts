/**
 * How a reference driver's run ended, in the driver's own terms (not the device model's):
 * - `inactive`: the driver never touched the ports (PVH, `never`, not configured to hide).
 * - `no-platform`: the magic read returned something the driver does not accept.
 * - `version-unsupported`: the driver gave up after the protocol version read.
 * - `blacklisted`: the driver saw the blacklist answer and honoured it (no mask).
 * - `completed`: the driver went through to its unplug step (masks may be empty or 0).
 */
export type DriverVerdict =
  'inactive' | 'no-platform' | 'version-unsupported' | 'blacklisted' | 'completed';

export interface DriverReport {
  verdict: DriverVerdict;
  /** What the driver believes. win-pv believes it and still unplugs. */
  blacklisted: boolean;
  /** Unplug masks the driver wrote to 0x10, in order. */
  masks: number[];
}

export function report(
  verdict: DriverVerdict,
  masks: number[] = [],
  blacklisted = verdict === 'blacklisted',
): DriverReport {
  return { verdict, blacklisted, masks };
}
