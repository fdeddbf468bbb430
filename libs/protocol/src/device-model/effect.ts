/**
 * What the device model did with one access. Read right after `access()` by the handshake
 * tracker, the log assembler and replay: plain numbers so the hot path allocates nothing.
 */
export const Effect = {
  /** Port outside 0x10-0x1f: not this device. */
  Outside: 0,
  FlagsRead: 1,
  FlagsWrite: 2,
  MagicRead: 3,
  VersionRead: 4,
  ProductWrite: 5,
  BuildWrite: 6,
  MaskWrite: 7,
  /** A byte went into the guest log buffer (`effectValue` is the byte). */
  LogByte: 8,
  /** 0x11, 0x13-0x1f: answered or ignored as the reference does. */
  UnknownPort: 9,
  /** 0x10/0x12 with a width the protocol does not define for that op. */
  UnexpectedWidth: 10,
} as const;
export type Effect = (typeof Effect)[keyof typeof Effect];

/** The per-access outputs of a device model, besides the value read. */
export interface AccessEffect {
  readonly effect: Effect;
  /** Flags byte, product, build, mask or log byte, as the device model took it. */
  readonly effectValue: number;
  /**
   * MaskWrite: the device model accepted the mask (only spec enforcement refuses one; bits a
   * profile does not implement are accepted and do nothing). BuildWrite: the device model accepted the build (qemu-traditional refuses it
   * before a product; upstream ignores it). ProductWrite/LogByte: true.
   */
  readonly applied: boolean;
  /**
   * BuildWrite: the xenstore key looked up (null when the profile cannot blacklist the product).
   * MagicRead answered 0xd249: the key that blacklisted the driver.
   */
  readonly blacklistKey: string | null;
}

/** Mask the value read to the access width, as the bus does. */
export function maskToWidth(value: number, size: number): number {
  if (size === 1) return value & 0xff;
  if (size === 2) return value & 0xffff;
  return value >>> 0;
}
