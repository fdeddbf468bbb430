import type { BlacklistLookup, Op, ProfileName } from '../types';
import type { AccessEffect } from './effect';

/**
 * One device-model instance: the platform device's fixed IO ports 0x10-0x1f for one guest.
 * `access` is the hot path: it never throws, never blocks and allocates nothing, whatever the
 * guest sends. After each call the AccessEffect fields describe what the access meant.
 */
export interface DeviceModel extends AccessEffect {
  readonly profile: ProfileName;
  /** Whether a magic read would now answer 0xd249. */
  readonly blacklisted: boolean;
  /** Value read for `in` (masked to the width), -1 for `out`. */
  access(op: Op, port: number, size: number, value: number | undefined): number;
  /** Device-model reset (guest reboot); what survives it depends on the profile. */
  reset(): void;
}

export interface DeviceModelOptions {
  profile?: ProfileName;
  /** Answers whether a blacklist key exists; default: nothing is blacklisted. */
  blacklist?: BlacklistLookup;
  /** spec only: ignore mask writes from blacklisted drivers. Real device models never enforce. */
  enforceBlacklist?: boolean;
}

export const NOTHING_BLACKLISTED: BlacklistLookup = () => false;

/**
 * A failing lookup counts as "not blacklisted", as qemu-traditional treats a failed xs_read;
 * the lookup is caller code, and a guest access must never throw.
 */
export function safeLookup(lookup: BlacklistLookup, key: string): boolean {
  try {
    return lookup(key) === true;
  } catch {
    return false;
  }
}

/** Bus answer for reads nobody decodes: all ones at the access width. */
export function allOnes(size: number): number {
  if (size === 1) return 0xff;
  if (size === 2) return 0xffff;
  return 0xffffffff;
}
