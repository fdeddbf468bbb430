/** The platform device's fixed IO region: ports 0x10-0x1f (offsets 0-15). */
export const PORT_BASE = 0x10;
export const PORT_LAST = 0x1f;
/** 2-byte magic read / 4-byte build write / 2-byte unplug mask write / 1-byte platform flags. */
export const PORT_MAGIC = 0x10;
/** 1-byte protocol version read / 2-byte product write / 1-byte guest log write. */
export const PORT_PROTOCOL = 0x12;

export const MAGIC = 0x49d2;
export const MAGIC_BLACKLISTED = 0xd249;

/** Unplug mask bits as the current spec defines them. Bits 4 and up mean nothing. */
export const UNPLUG_IDE_SCSI_DISKS = 1 << 0;
export const UNPLUG_ALL_NICS = 1 << 1;
export const UNPLUG_AUX_IDE_DISKS = 1 << 2;
export const UNPLUG_NVME_DISKS = 1 << 3;

/** Platform flags byte, bit 0: the ROM area 0xC0000-0xFFFFF is read-only. */
export const PFFLAG_ROM_LOCK = 1;

/** The master registry of product numbers (xen/include/public/hvm/pvdrivers.h). */
export const PRODUCTS: ReadonlyMap<number, string> = new Map([
  [0x0001, 'xensource-windows'],
  [0x0002, 'gplpv-windows'],
  [0x0003, 'linux'],
  [0x0004, 'xenserver-windows-v7.0+'],
  [0x0005, 'xenserver-windows-v7.2+'],
  [0xffff, 'experimental'],
]);

export function productName(product: number): string | null {
  return PRODUCTS.get(product) ?? null;
}

/** The registered number of a product name as xenstore spells it, or null for an unknown name. */
export function productNumber(name: string): number | null {
  for (const [number, known] of PRODUCTS) if (known === name) return number;
  return null;
}

export const BLACKLIST_ROOT = '/mh/driver-blacklist';
