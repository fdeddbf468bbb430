import { MAGIC, MAGIC_BLACKLISTED, PORT_BASE, PFFLAG_ROM_LOCK } from '../constants';
import type { BlacklistLookup, Op } from '../types';
import { blacklistKey } from './blacklist-key';
import { allOnes, safeLookup, type DeviceModel } from './device-model';
import { Effect } from './effect';

/**
 * `qemu-traditional` (qemu-dm hw/xen_platform.c and vl.c). State is process-global in the
 * reference: the product, the flags and `drivers_blacklisted` survive guest resets, and once a
 * build is found blacklisted every magic read answers 0xd249 for the life of the instance.
 *
 * vl.c registers each handler at every size-th port of 0x10-0x1f and falls back to defaults
 * elsewhere, which gives the odd-width quirks: readw at an odd port is two readb (0x11 reads
 * 0x01ff: 0xff from 0x11, the version 1 from 0x12), writew at an odd port is two writeb (at
 * 0x11 the high byte becomes a log byte at 0x12), readl is always 0xffffffff (no size-4 read
 * handler) and writel anywhere but 0x10 is dropped.
 */
export class TraditionalDeviceModel implements DeviceModel {
  readonly profile = 'qemu-traditional' as const;
  effect: Effect = Effect.Outside;
  effectValue = 0;
  applied = false;
  blacklistKey: string | null = null;
  blacklisted = false;
  private flags = 0;
  /** `static uint16_t driver_product_version`: 0 until the guest writes one. */
  private product = 0;
  private blacklistedBy: string | null = null;

  constructor(private readonly lookup: BlacklistLookup) {}

  access(op: Op, port: number, size: number, value: number | undefined): number {
    this.applied = false;
    this.blacklistKey = null;
    this.effectValue = 0;
    const offset = port - PORT_BASE;
    if (!(offset >= 0 && offset <= 15)) {
      this.effect = Effect.Outside;
      return op === 'in' ? allOnes(size) : -1;
    }
    if (op === 'in') return this.read(offset, size);
    this.write(offset, size, value === undefined ? 0 : value >>> 0);
    return -1;
  }

  reset(): void {
    // Nothing: qemu-dm keeps its statics until the process exits.
  }

  private read(offset: number, size: number): number {
    switch (size) {
      case 1:
        if (offset === 0) return this.answer(Effect.FlagsRead, this.flags);
        if (offset === 2) return this.answer(Effect.VersionRead, 1);
        return this.answer(Effect.UnknownPort, 0xff);
      case 2:
        if (offset === 0) return this.magic();
        if (offset === 2) return this.answer(Effect.UnexpectedWidth, 0xffff);
        // Odd port: default readw = readb(port) | readb(port + 1) << 8; only 0x12 reads non-0xff.
        return this.answer(Effect.UnknownPort, offset === 1 ? 0x01ff : 0xffff);
      default:
        return this.answer(
          offset === 0 || offset === 2 ? Effect.UnexpectedWidth : Effect.UnknownPort,
          0xffffffff,
        );
    }
  }

  private write(offset: number, size: number, value: number): void {
    if (size === 2 && offset === 1) {
      // Default writew at 0x11: writeb(0x11) is ignored, writeb(0x12, high byte) logs it.
      this.take(Effect.LogByte, (value >>> 8) & 0xff, true);
      return;
    }
    if (offset !== 0 && offset !== 2) {
      this.effect = Effect.UnknownPort;
      return;
    }
    switch (size) {
      case 1:
        if (offset === 0)
          this.take(Effect.FlagsWrite, (this.flags = value & PFFLAG_ROM_LOCK), true);
        else this.take(Effect.LogByte, value & 0xff, true);
        return;
      case 2:
        if (offset === 0) {
          // Bits 0-2 (ide_unplug_harddisks, pci_unplug_netifs, ide_unplug_aux_harddisks); bit 3
          // (NVMe) and up mean nothing to qemu-dm. It never refuses a mask, blacklisted or not.
          this.take(Effect.MaskWrite, value & 0xffff, true);
        } else {
          this.take(Effect.ProductWrite, (this.product = value & 0xffff), true);
        }
        return;
      case 4:
        if (offset === 0) this.setBuild(value);
        else this.effect = Effect.UnexpectedWidth; // no size-4 handler at 0x12: dropped
        return;
      default:
        this.effect = Effect.UnexpectedWidth;
    }
  }

  private magic(): number {
    this.effect = Effect.MagicRead;
    if (!this.blacklisted) return (this.effectValue = MAGIC);
    this.blacklistKey = this.blacklistedBy;
    return (this.effectValue = MAGIC_BLACKLISTED);
  }

  private setBuild(build: number): void {
    // "Drivers tried to set their version number (%d) before setting the product number?"
    if (this.product === 0) {
      this.take(Effect.BuildWrite, build, false);
      return;
    }
    this.take(Effect.BuildWrite, build, true);
    const key = blacklistKey(this.product, build, 'qemu-traditional');
    this.blacklistKey = key;
    if (key !== null && safeLookup(this.lookup, key)) {
      this.blacklisted = true; // never cleared: "Drivers are blacklisted!"
      this.blacklistedBy = key;
    }
  }

  private answer(effect: Effect, value: number): number {
    this.effect = effect;
    return value;
  }

  private take(effect: Effect, value: number, applied: boolean): void {
    this.effect = effect;
    this.effectValue = value;
    this.applied = applied;
  }
}
