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

/**
 * A string write, `rep outsb` to one port: the device model sees one 1-byte `out` per char of
 * `text` (its low byte; the Windows drivers' CHAR strings are Latin-1). One step rather than one
 * per byte: a driver's log lines are most of its accesses, and every runner expands it the same
 * way (`runDriver` into per-byte accesses).
 */
export interface PortStringWrite {
  op: 'outs';
  port: number;
  text: string;
}

/** What a driver does next: one access, or a string write of many. */
export type DriverStep = PortAccess | PortStringWrite;

/**
 * Drivers react to answers: a generator yields steps and is resumed with the value read (`in`)
 * or undefined (`out`, `outs`).
 */
export type DriverRun<R = void> = Generator<DriverStep, R, number | undefined>;
