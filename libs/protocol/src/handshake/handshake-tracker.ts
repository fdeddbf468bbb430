import { PORT_PROTOCOL, PRODUCTS } from '../constants';
import { Effect, type AccessEffect } from '../device-model/effect';
import {
  HandshakeState,
  type ClosedHandshake,
  type CloseReason,
  type HandshakePhase,
} from './handshake-state';
import { Violation, ViolationSet } from './violations';

export const DEFAULT_IDLE_GAP_MS = 5000;

/**
 * Turns one guest's access stream into handshakes (DESIGN §2). A handshake opens at a magic
 * read, or at a version read or protocol write (product, build, mask) when none is open. The
 * first magic read after a build write is the step-5 re-check; any other magic read closes the
 * open handshake and opens the next (resume and migration repeat the handshake). Stop/reset and
 * an idle gap on event time close it too. Log bytes never open or extend a handshake: they
 * belong to log lines.
 */
export class HandshakeTracker {
  private open: HandshakeState | null = null;
  private nextId = 1;
  /** Violations seen while no handshake is open go into the next one that opens. */
  private readonly pending = new ViolationSet();
  /** A magic read happened since device-model start/reset: logging is allowed from then on. */
  private magicSeen = false;
  private readonly idleGapUs: number;

  constructor(
    idleGapMs: number,
    private readonly onClose: (handshake: ClosedHandshake) => void,
  ) {
    this.idleGapUs = idleGapMs * 1000;
  }

  get openId(): number | null {
    return this.open === null ? null : this.open.id;
  }

  get phase(): HandshakePhase {
    return this.open === null ? 'idle' : this.open.phase;
  }

  /** Feed one access after the device model answered it; `response` is the value read. */
  observe(port: number, response: number, timeUs: number, dm: AccessEffect): void {
    this.advance(timeUs);
    switch (dm.effect) {
      case Effect.Outside:
        return;
      case Effect.LogByte:
        if (!this.magicSeen) this.flag(Violation.LogBeforeMagic);
        if (port !== PORT_PROTOCOL) this.flag(Violation.UnknownPort); // qemu-trad writew at 0x11
        return;
      case Effect.MagicRead:
        this.magic(response, timeUs, dm.blacklistKey);
        return;
      case Effect.VersionRead: {
        const hs = this.touch(timeUs, true);
        if (!hs.versionRead) hs.version = response;
        hs.versionRead = true;
        hs.phase = 'version-read';
        return;
      }
      case Effect.ProductWrite:
        this.product(dm.effectValue, timeUs);
        return;
      case Effect.BuildWrite:
        this.build(dm.effectValue, timeUs, dm.blacklistKey);
        return;
      case Effect.MaskWrite:
        this.mask(dm.effectValue, timeUs, dm.applied);
        return;
      case Effect.UnknownPort:
        this.touch(timeUs, false);
        this.flag(Violation.UnknownPort);
        return;
      case Effect.UnexpectedWidth:
        this.touch(timeUs, false);
        this.flag(Violation.UnexpectedWidth);
        return;
      case Effect.FlagsRead:
      case Effect.FlagsWrite:
        this.touch(timeUs, false);
        return;
    }
  }

  /** `observe` of a 1-byte log write to 0x12 (Effect.LogByte at PORT_PROTOCOL), the commonest access. */
  logByte(timeUs: number): void {
    this.advance(timeUs);
    if (!this.magicSeen) this.flag(Violation.LogBeforeMagic);
  }

  /** Close the open handshake if it has been idle longer than the gap at event time `timeUs`. */
  advance(timeUs: number): void {
    if (this.open !== null && timeUs - this.open.lastUs > this.idleGapUs) this.close('idle');
  }

  /** Device-model stop or reset: close the open handshake; logging needs a new magic read. */
  stop(timeUs: number): void {
    this.advance(timeUs);
    if (this.open !== null) this.close('stop');
    this.magicSeen = false;
    // Violations of a boot that never opened a handshake do not belong to the next boot.
    this.pending.clear();
  }

  /** Bounded: one open handshake (<= 64 listed masks, <= 11 violations) plus pending violations. */
  retained(): number {
    const hs = this.open;
    return this.pending.size + (hs === null ? 0 : 1 + hs.maskWrites.length + hs.violations.size);
  }

  private magic(response: number, timeUs: number, key: string | null): void {
    this.magicSeen = true;
    const recheck = this.open !== null && this.open.awaitingRecheck;
    if (!recheck && this.open !== null) this.close('magic');
    const hs = this.touch(timeUs, true);
    hs.noteMagic(response, key, recheck);
  }

  private product(product: number, timeUs: number): void {
    const hs = this.touch(timeUs, true);
    if (!hs.versionRead) this.flag(Violation.ProductWithoutVersion);
    if (!PRODUCTS.has(product)) this.flag(Violation.UnregisteredProduct);
    hs.product = product;
    hs.phase = 'product-written';
  }

  private build(build: number, timeUs: number, key: string | null): void {
    const hs = this.touch(timeUs, true);
    if (hs.product === null) this.flag(Violation.BuildBeforeProduct);
    hs.build = build;
    hs.lookedUpKey = key;
    hs.awaitingRecheck = true;
    hs.recheckedClean = false;
    hs.phase = 'build-written';
  }

  private mask(mask: number, timeUs: number, applied: boolean): void {
    const hs = this.touch(timeUs, true);
    if (!hs.magicRead) this.flag(Violation.MaskWithoutMagic);
    else if (!hs.versionRead) this.flag(Violation.MaskWithoutVersion);
    if (hs.awaitingRecheck) this.flag(Violation.MaskWithoutRecheck);
    if (hs.blacklistAnswered) this.flag(Violation.MaskWhileBlacklisted);
    if (mask & ~0xf) this.flag(Violation.UnknownMaskBits);
    hs.noteMask(mask, applied);
  }

  /** Count the access in the open handshake, opening one first when `opens` is set. */
  private touch(timeUs: number, opens: true): HandshakeState;
  private touch(timeUs: number, opens: false): HandshakeState | null;
  private touch(timeUs: number, opens: boolean): HandshakeState | null {
    let hs = this.open;
    if (hs === null) {
      if (!opens) return null;
      hs = this.open = new HandshakeState(this.nextId++, timeUs);
      hs.violations.takeFrom(this.pending);
    }
    hs.accessCount++;
    if (timeUs > hs.lastUs) hs.lastUs = timeUs;
    return hs;
  }

  private flag(violation: Violation): void {
    (this.open === null ? this.pending : this.open.violations).add(violation);
  }

  private close(reason: CloseReason): void {
    const hs = this.open;
    if (hs === null) return;
    this.open = null;
    this.onClose(hs.close(reason));
  }
}
