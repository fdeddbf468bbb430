import { MAGIC, MAGIC_BLACKLISTED, PORT_BASE, PFFLAG_ROM_LOCK } from '../constants';
import type { BlacklistLookup, Op } from '../types';
import { blacklistKey } from './blacklist-key';
import { allOnes, safeLookup, type DeviceModel } from './device-model';
import { Effect } from './effect';

/**
 * `qemu-upstream` and `spec`. Port decoding follows QEMU hw/i386/xen/xen_platform.c
 * (platform_fixed_ioport_read/write; unaligned accesses reach the handler as offset + size):
 * readb 0x10 flags, readb 0x12 version 1, readw 0x10 magic, other reads all ones; writeb 0x10
 * flags (bit 0 only), writeb 0x12 log byte, writew 0x10 unplug, writew 0x12 product, writel 0x10
 * build (ignored upstream); everything else ignored.
 *
 * `spec` is the seed document's protocol on that same decoding: at the build write it looks up
 * `/mh/driver-blacklist/{name}/{build}` for every registered product and answers 0xd249 to the
 * step-5 re-check (the first magic read after the build write). The next magic read starts a new
 * handshake (resume and migration repeat the whole protocol), so it answers 0x49d2 and forgets
 * the verdict until the driver announces itself again. With enforcement, mask writes are ignored
 * while the verdict stands (so also a mask-only rewrite after resume).
 */
export class UpstreamDeviceModel implements DeviceModel {
  effect: Effect = Effect.Outside;
  effectValue = 0;
  applied = false;
  blacklistKey: string | null = null;
  blacklisted = false;
  private flags = 0;
  private product = -1;
  private blacklistedBy: string | null = null;
  /** The step-5 re-check has been answered since the last build write. */
  private rechecked = false;

  constructor(
    readonly profile: 'spec' | 'qemu-upstream',
    private readonly lookup: BlacklistLookup,
    private readonly enforce: boolean,
  ) {}

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
    // platform_reset writes flags 0; the log buffer is not reset. Our spec also forgets the driver.
    this.flags = 0;
    this.product = -1;
    this.blacklisted = false;
    this.blacklistedBy = null;
    this.rechecked = false;
  }

  private read(offset: number, size: number): number {
    switch (size) {
      case 1:
        if (offset === 0) return this.answer(Effect.FlagsRead, this.flags);
        if (offset === 2) return this.answer(Effect.VersionRead, 1);
        return this.answer(Effect.UnknownPort, 0xff);
      case 2:
        if (offset === 0) return this.magic();
        return this.answer(offset === 2 ? Effect.UnexpectedWidth : Effect.UnknownPort, 0xffff);
      default:
        // readl: the handler returns -1 for any size but 1 and 2.
        return this.answer(
          offset === 0 || offset === 2 ? Effect.UnexpectedWidth : Effect.UnknownPort,
          0xffffffff,
        );
    }
  }

  private write(offset: number, size: number, value: number): void {
    if (offset !== 0 && offset !== 2) {
      this.effect = Effect.UnknownPort;
      return;
    }
    switch (size) {
      case 1:
        if (offset === 0) this.setFlags(value);
        else this.take(Effect.LogByte, value & 0xff, true);
        return;
      case 2:
        if (offset === 0) this.unplug(value & 0xffff);
        else this.setProduct(value & 0xffff);
        return;
      case 4:
        if (offset === 0) this.setBuild(value);
        else this.effect = Effect.UnexpectedWidth;
        return;
      default:
        this.effect = Effect.UnexpectedWidth;
    }
  }

  private magic(): number {
    this.effect = Effect.MagicRead;
    if (!this.blacklisted) return (this.effectValue = MAGIC);
    if (this.rechecked) {
      // A new handshake: the driver starts over and will announce product and build again.
      this.blacklisted = false;
      this.blacklistedBy = null;
      return (this.effectValue = MAGIC);
    }
    this.rechecked = true;
    this.blacklistKey = this.blacklistedBy;
    return (this.effectValue = MAGIC_BLACKLISTED);
  }

  private setFlags(value: number): void {
    this.flags = value & PFFLAG_ROM_LOCK;
    this.take(Effect.FlagsWrite, this.flags, true);
  }

  private unplug(mask: number): void {
    // QEMU acts on bits 0-3 and ignores the rest; only our spec enforcement refuses a mask.
    this.take(Effect.MaskWrite, mask, !(this.enforce && this.blacklisted));
  }

  private setProduct(product: number): void {
    this.take(Effect.ProductWrite, product, true);
    if (this.profile !== 'spec') return;
    this.product = product;
    this.blacklisted = false;
    this.blacklistedBy = null;
  }

  private setBuild(build: number): void {
    if (this.profile !== 'spec') {
      this.take(Effect.BuildWrite, build, false); // "PV driver version": no action upstream
      return;
    }
    this.take(Effect.BuildWrite, build, true);
    const key = this.product < 0 ? null : blacklistKey(this.product, build, 'spec');
    this.blacklistKey = key;
    this.blacklisted = key !== null && safeLookup(this.lookup, key);
    this.blacklistedBy = this.blacklisted ? key : null;
    this.rechecked = false;
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
