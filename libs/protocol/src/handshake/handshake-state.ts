import { MAGIC, MAGIC_BLACKLISTED, productName } from '../constants';
import type { HandshakeOutcome, HandshakeResult } from '../types';
import { unplugDevices } from './unplug-mask';
import { ViolationSet } from './violations';

/** A guest can write masks forever; the list keeps the first ones, `mask` still ORs them all. */
export const MAX_MASK_WRITES = 64;

/** Where the open handshake stands, for timelines ("after the build write", ...). */
export type HandshakePhase =
  | 'idle'
  | 'opened'
  | 'magic-read'
  | 'version-read'
  | 'product-written'
  | 'build-written'
  | 'rechecked'
  | 'mask-written';

export type CloseReason = 'magic' | 'idle' | 'stop';

/** A closed handshake: the DESIGN §4 outcome plus where and when it happened. */
export interface ClosedHandshake extends HandshakeOutcome {
  handshakeId: number;
  startUs: number;
  /** Time of its last access (log bytes excluded: they belong to log lines). */
  endUs: number;
  /** Accesses that belonged to it, log bytes excluded. */
  accessCount: number;
  closedBy: CloseReason;
  /** Mask writes beyond MAX_MASK_WRITES: ORed into `mask`, not listed in `maskWrites`. */
  maskWritesOmitted: number;
}

/** The mutable state of the open handshake; one object per handshake, none per access. */
export class HandshakeState {
  lastUs: number;
  accessCount = 0;
  phase: HandshakePhase = 'opened';
  magicRead = false;
  /** A magic read answered neither 0x49d2 nor 0xd249. */
  magicMismatch = false;
  blacklistAnswered = false;
  versionRead = false;
  version: number | null = null;
  product: number | null = null;
  build: number | null = null;
  /** A build was written and the step-5 re-check has not come yet. */
  awaitingRecheck = false;
  recheckedClean = false;
  /** The key that made the device model answer 0xd249, when it says so. */
  blacklistKey: string | null = null;
  /** The key the device model looked up at the last build write. */
  lookedUpKey: string | null = null;
  maskWriteCount = 0;
  mask = 0;
  readonly maskWrites: number[] = [];
  unplugApplied = false;
  readonly violations = new ViolationSet();

  constructor(
    readonly id: number,
    readonly startUs: number,
  ) {
    this.lastUs = startUs;
  }

  noteMagic(response: number, key: string | null, recheck: boolean): void {
    this.magicRead = true;
    if (response === MAGIC_BLACKLISTED) {
      this.blacklistAnswered = true;
      if (this.blacklistKey === null) this.blacklistKey = key;
    } else if (response !== MAGIC) {
      this.magicMismatch = true;
    }
    if (recheck) {
      this.awaitingRecheck = false;
      this.recheckedClean = response === MAGIC;
    }
    this.phase = recheck ? 'rechecked' : 'magic-read';
  }

  noteMask(mask: number, applied: boolean): void {
    this.maskWriteCount++;
    this.mask |= mask;
    if (this.maskWrites.length < MAX_MASK_WRITES) this.maskWrites.push(mask);
    if (applied) this.unplugApplied = true;
    this.phase = 'mask-written';
  }

  result(): HandshakeResult {
    if (this.blacklistAnswered)
      return this.maskWriteCount > 0 ? 'blacklist-ignored' : 'blacklisted';
    if (this.maskWriteCount > 0) return this.mask !== 0 ? 'unplugged' : 'no-unplug';
    // Linux `xen_emul_unplug=unnecessary`: a clean handshake that writes no mask at all.
    if (this.recheckedClean) return 'no-unplug';
    if (this.magicMismatch) return 'magic-mismatch';
    if (this.versionRead && this.product === null && this.build === null)
      return 'version-unsupported';
    return 'abandoned';
  }

  close(closedBy: CloseReason): ClosedHandshake {
    // Key order is the DESIGN §3 transcript contract.
    return {
      result: this.result(),
      protocolVersion: this.version,
      product:
        this.product === null ? null : { number: this.product, name: productName(this.product) },
      build: this.build,
      blacklisted: this.blacklistAnswered,
      blacklistKey: this.blacklistAnswered ? (this.blacklistKey ?? this.lookedUpKey) : null,
      mask: this.mask,
      maskWrites: [...this.maskWrites],
      unplug: unplugDevices(this.mask),
      unplugApplied: this.unplugApplied,
      violations: this.violations.codes(),
      handshakeId: this.id,
      startUs: this.startUs,
      endUs: this.lastUs,
      accessCount: this.accessCount,
      closedBy,
      maskWritesOmitted: this.maskWriteCount - this.maskWrites.length,
    };
  }
}
