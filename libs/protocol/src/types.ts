export type Op = 'in' | 'out';
export type Width = 1 | 2 | 4;
export type ProfileName = 'spec' | 'qemu-traditional' | 'qemu-upstream';
export const PROFILES: readonly ProfileName[] = ['spec', 'qemu-traditional', 'qemu-upstream'];

/** One guest IO access. `port` is absolute (0x10 = PORT_BASE). */
export interface PortAccess {
  op: Op;
  port: number;
  size: Width;
  /** Written value, `out` only. */
  value?: number;
}

/**
 * Answers whether a xenstore key such as `/mh/driver-blacklist/linux/1` exists and is readable.
 * Injected so the protocol core never does IO.
 */
export type BlacklistLookup = (key: string) => boolean;

export type HandshakeResult =
  | 'unplugged'
  | 'no-unplug'
  | 'blacklisted'
  | 'blacklist-ignored'
  | 'version-unsupported'
  | 'magic-mismatch'
  | 'abandoned';

export interface UnplugDevices {
  ideScsiDisks: boolean;
  nics: boolean;
  auxIdeDisks: boolean;
  nvmeDisks: boolean;
}

/** DESIGN §3/§4: the outcome of one closed handshake. */
export interface HandshakeOutcome {
  result: HandshakeResult;
  protocolVersion: number | null;
  product: { number: number; name: string | null } | null;
  build: number | null;
  blacklisted: boolean;
  blacklistKey: string | null;
  mask: number;
  maskWrites: number[];
  unplug: UnplugDevices;
  unplugApplied: boolean;
  violations: string[];
}

/** A reassembled guest log line. Bytes are raw: guests send anything, not only UTF-8. */
export interface GuestLogLine {
  bytes: Uint8Array;
  /** True when the line was flushed because the 4095-byte buffer filled, not by '\n'. */
  truncated: boolean;
}

/** Drivers react to answers: a generator yields accesses and is resumed with the value read (`in`) or undefined (`out`). */
export type DriverRun<R = void> = Generator<PortAccess, R, number | undefined>;
