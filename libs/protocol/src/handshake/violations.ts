/**
 * Spec breaches the tracker reports, as stable kebab-case codes. Each handshake lists a code at
 * most once, in first-seen order. The index of a code is its bit in a ViolationSet.
 */
export const VIOLATION_CODES = [
  'log-before-magic',
  'product-without-version',
  'build-before-product',
  'mask-without-magic',
  'mask-without-version',
  'mask-without-recheck',
  'mask-while-blacklisted',
  'unregistered-product',
  'unknown-mask-bits',
  'unexpected-width',
  'unknown-port',
] as const;
export type ViolationCode = (typeof VIOLATION_CODES)[number];

export const Violation = {
  LogBeforeMagic: 0,
  ProductWithoutVersion: 1,
  BuildBeforeProduct: 2,
  MaskWithoutMagic: 3,
  MaskWithoutVersion: 4,
  MaskWithoutRecheck: 5,
  MaskWhileBlacklisted: 6,
  UnregisteredProduct: 7,
  UnknownMaskBits: 8,
  UnexpectedWidth: 9,
  UnknownPort: 10,
} as const;
export type Violation = (typeof Violation)[keyof typeof Violation];

/** Ordered, de-duplicated set of violations; at most 11 entries whatever the guest does. */
export class ViolationSet {
  private bits = 0;
  private readonly order: Violation[] = [];

  add(violation: Violation): void {
    const bit = 1 << violation;
    if (this.bits & bit) return;
    this.bits |= bit;
    this.order.push(violation);
  }

  /** Adds the other set's violations after this one's, then empties the other set. */
  takeFrom(other: ViolationSet): void {
    for (const violation of other.order) this.add(violation);
    other.clear();
  }

  clear(): void {
    this.bits = 0;
    this.order.length = 0;
  }

  get size(): number {
    return this.order.length;
  }

  codes(): ViolationCode[] {
    return this.order.map((violation) => VIOLATION_CODES[violation]);
  }
}
