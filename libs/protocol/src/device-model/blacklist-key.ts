import { BLACKLIST_ROOT, productName } from '../constants';
import type { ProfileName } from '../types';

/** qemu-traditional xenstore.c knows only these three product names; the others "can't blacklist". */
const TRADITIONAL_PRODUCTS: ReadonlySet<number> = new Set([0x0001, 0x0002, 0xffff]);

/**
 * The xenstore key `/mh/driver-blacklist/{product_name}/{build}` the profile would look up for
 * this product and build, or null when the profile cannot blacklist the product at all.
 * - spec: every registered product; the build in unsigned decimal (the spec says "decimal").
 * - qemu-traditional: products 1, 2, 0xffff only; the build printed with `%d`, so builds
 *   >= 2^31 appear negative (xenstore_pv_driver_build_blacklisted).
 * - qemu-upstream: never (the blacklist code was removed, QEMU 6661d9a58a).
 */
export function blacklistKey(product: number, build: number, profile: ProfileName): string | null {
  const name = productName(product);
  if (name === null) return null;
  switch (profile) {
    case 'spec':
      return `${BLACKLIST_ROOT}/${name}/${build >>> 0}`;
    case 'qemu-traditional':
      return TRADITIONAL_PRODUCTS.has(product) ? `${BLACKLIST_ROOT}/${name}/${build | 0}` : null;
    case 'qemu-upstream':
      return null;
    default:
      return assertNever(profile);
  }
}

function assertNever(value: never): never {
  throw new Error(`unknown device-model profile ${JSON.stringify(value)}`);
}
