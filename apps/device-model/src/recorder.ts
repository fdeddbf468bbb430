import {
  createEventStamper,
  encodeLogBytes,
  guestLogText,
  MAX_LOG_LINE_BYTES,
  toEventTime,
  type DmStopped,
  type EventStamper,
  type GuestEvent,
  type GuestLogData,
  type HandshakeOutcomeData,
} from '@magicport/events';
import {
  createGuestSession,
  Effect,
  handshakeOutcome,
  logLineAccesses,
  PORT_PROTOCOL,
  type BlacklistLookup,
  type GuestSession,
  type Op,
  type ProfileName,
  type SessionHandshake,
  type SessionLogLine,
  type Width,
} from '@magicport/protocol';

export const AGENT_VERSION = '0.1.0';

export interface RecorderOptions {
  host: string;
  /** Device-model instance id: the event stream id. */
  dm: string;
  vm: string;
  domid: number;
  profile: ProfileName;
  enforceBlacklist: boolean;
  blacklist: BlacklistLookup;
  /**
   * The revision of the blacklist `blacklist` answers from, read at each lookup and recorded in
   * the outcome of the handshake that made it (`blacklistRevision`); without it, and for
   * accesses another device model answered (`observe`), that is null.
   */
  blacklistRevision?: () => number;
  idleGapMs: number;
  /** Forensic mode: every log byte access is also its own port.access event. */
  logByteAccesses: boolean;
  source: 'simulated' | 'qemu-trace' | 'qemu-dm-log';
  /** Seq of the first event to emit (a restarted agent resumes an instance's stream). */
  nextSeq?: number;
}

export type EventSink = (event: GuestEvent) => void;

/** A local copy: a re-exported binding is a getter in the compiled CommonJS (per-access cost). */
const LOG_PORT = PORT_PROTOCOL;

/**
 * One device-model instance and what it records: every platform-port access, each closed
 * handshake and each reassembled guest log line, as stamped events in the order they happened.
 * Log byte writes (1-byte `out 0x12`) travel inside their line's guest.log event unless
 * `logByteAccesses` asks for each one too, or the line is spilled: see `spilling`.
 * Never throws on guest input.
 */
export class DeviceModelRecorder {
  private readonly session: GuestSession;
  private readonly stamper: EventStamper;
  private readonly logByteAccesses: boolean;
  private boot = 0;
  private stopped = false;
  /** While an access runs, what it causes (outcomes, lines) waits to be recorded after it. */
  private accessing = false;
  private caused: Array<() => void> = [];
  /** The view's revision at a lookup made during the current access, until the access ends. */
  private lookupRevision: number | null = null;
  /** The last lookup's revision and the handshake it belongs to (the one open after its access). */
  private answeredFrom: { handshake: number | null; revision: number } | null = null;
  /**
   * A line's bytes inside its guest.log event keep only its first and last byte's time, so
   * when another access comes between its bytes their order against it would be lost (a byte
   * before a handshake's close replayed after it changes that handshake's violations). Such a
   * line is spilled: its bytes so far are recorded as port.access events before that access,
   * and every log byte after them too, until the next guest.log event is emitted (a line the
   * rate limiter drops keeps spilling into the next one). Replay rebuilds a line from its
   * guest.log event only when no log-byte port.access lies between it and the boot's previous
   * line (see libs/protocol recordedAccesses).
   */
  private spilling = false;
  /**
   * Bytes at the start of the open line already on the record: a reboot records the line it
   * interrupts (flushPendingLog) but the device model's buffer keeps it, so the line it later
   * flushes starts with them again. Replay knows them from that earlier line; never spilled.
   */
  private carried = 0;
  /** Bytes the open line held before the access being recorded, which may add one. */
  private pendingBefore = 0;
  /** Time of the last recorded access: spilled bytes are never timed before it. */
  private lastAccessUs = 0;

  constructor(
    private readonly options: RecorderOptions,
    private readonly sink: EventSink,
  ) {
    this.logByteAccesses = options.logByteAccesses;
    const revisionOf = options.blacklistRevision;
    this.stamper = createEventStamper({
      host: options.host,
      dm: options.dm,
      vm: options.vm,
      domid: options.domid,
      boot: 0,
      nextSeq: options.nextSeq ?? 0,
      clock: () => 0,
    });
    this.session = createGuestSession(
      {
        profile: options.profile,
        enforceBlacklist: options.enforceBlacklist,
        blacklist: revisionOf
          ? this.lookupStamped(options.blacklist, revisionOf)
          : options.blacklist,
        idleGapMs: options.idleGapMs,
      },
      {
        handshake: (h) => {
          // Taken now: an access that closes this handshake (idle gap) may look up for the next.
          const revision =
            this.answeredFrom?.handshake === h.handshakeId ? this.answeredFrom.revision : null;
          this.after(() =>
            this.emit('handshake.outcome', outcomeData(options.dm, h, revision), h.endUs),
          );
        },
        // The commonest: a line flushed by a log byte, recorded as it happens (no closure).
        logLine: (line) => {
          if (this.accessing) this.caused.push(() => this.emitLogLine(line));
          else this.emitLogLine(line);
        },
      },
    );
  }

  get nextSeq(): number {
    return this.stamper.nextSeq;
  }

  get dm(): string {
    return this.options.dm;
  }

  start(timeUs: number): void {
    this.emit(
      'dm.started',
      {
        profile: this.options.profile,
        enforceBlacklist: this.options.enforceBlacklist,
        agentVersion: AGENT_VERSION,
        source: this.options.source,
        options: {
          logByteAccesses: this.options.logByteAccesses,
          idleGapMs: this.options.idleGapMs,
        },
      },
      timeUs,
    );
  }

  /** The guest path: the device model answers; the access is recorded. */
  access(op: Op, port: number, size: Width, value: number | undefined, timeUs: number): number {
    // A log byte records nothing of its own (see `recorded`), so what it causes (the line it
    // flushes, a handshake gone idle) is recorded as it happens: the commonest access, kept short.
    if (op === 'out' && port === LOG_PORT && size === 1 && !this.logByteAccesses && !this.spilling)
      return this.session.access(op, port, size, value, timeUs);
    this.accessing = true;
    this.pendingBefore = this.session.pendingLogBytes();
    const response = this.session.access(op, port, size, value, timeUs);
    if (this.lookupRevision !== null) this.noteLookup();
    this.recorded(op, port, size, value, response, timeUs);
    return response;
  }

  /**
   * `text` written as one 1-byte `out 0x12` per char, the first at `startUs` and each next
   * `stepUs` later, as that run of `access` calls would record it; returns the time after it.
   */
  writeLog(text: string, startUs: number, stepUs: number): number {
    if (this.logByteAccesses || this.spilling) {
      let t = startUs;
      for (let i = 0; i < text.length; i++) {
        this.access('out', LOG_PORT, 1, text.charCodeAt(i), t);
        t += stepUs;
      }
      return t;
    }
    // Log bytes record nothing of their own, so what they cause is recorded as it happens.
    return this.session.writeLog(text, startUs, stepUs);
  }

  /** An access a real device model answered (QEMU tap): record its response, do not re-emulate it. */
  observe(
    op: Op,
    port: number,
    size: Width,
    value: number | undefined,
    response: number | undefined,
    timeUs: number,
  ): void {
    this.accessing = true;
    this.pendingBefore = this.session.pendingLogBytes();
    this.session.observe(op, port, size, value, response, timeUs);
    // The device model that answered is not this one: its blacklist revision is unknown.
    if (this.lookupRevision !== null) this.lookupRevision = this.answeredFrom = null;
    this.recorded(op, port, size, value, response, timeUs);
  }

  /**
   * A guest log line a real device model printed whose byte accesses are not in the source
   * (a trace of `xen_platform_log` only, a qemu-dm log): recorded as if its bytes had been
   * written at `timeUs` and flushed by '\n'. A line of 4095 bytes (longer ones are cut there)
   * filled the buffer: whether '\n' or another byte flushed it is unknown, so it gets no trigger
   * and is not marked truncated. `unattributed`: a line of a log that mixes the guest's lines
   * with the device model's own, which shows neither side's known shape.
   */
  observeLogLine(bytes: Uint8Array, timeUs: number, unattributed = false): void {
    const stored = bytes.subarray(0, MAX_LOG_LINE_BYTES);
    const full = stored.length === MAX_LOG_LINE_BYTES;
    this.emitLog({
      bytes: stored,
      truncated: false,
      trigger: full ? null : 0x0a,
      droppedBefore: 0,
      throttledMs: 0,
      accessCount: stored.length + (full ? 0 : 1),
      firstUs: timeUs,
      lastUs: timeUs,
      handshakeId: this.session.openHandshakeId,
      unattributed,
    });
  }

  /** Event time passes with no access: closes an idle handshake. */
  advance(timeUs: number): void {
    this.session.advance(timeUs);
  }

  /** The guest reset and boots again on this instance: open handshake closed, boot counter up. */
  reboot(timeUs: number): void {
    this.flushPendingLog();
    // Replay rebuilds lines boot by boot: a spill (of a line the limiter dropped) ends here.
    this.spilling = false;
    this.carried = this.session.pendingLogBytes();
    this.session.stop(timeUs);
    this.boot += 1;
    this.stamper.setBoot(this.boot);
  }

  stop(reason: DmStopped['reason'], timeUs: number, detail: string | null = null): void {
    if (this.stopped) return;
    this.stopped = true;
    this.flushPendingLog();
    this.session.stop(timeUs);
    this.emit('dm.stopped', { reason, detail }, timeUs);
  }

  /** The lookup the device model makes at a build write, noting the revision it answered from. */
  private lookupStamped(lookup: BlacklistLookup, revision: () => number): BlacklistLookup {
    return (key) => {
      this.lookupRevision = revision();
      return lookup(key);
    };
  }

  /**
   * The lookup belongs to the handshake open once its access was tracked: the device model
   * looks up before the tracker sees the access, which may first close an idle handshake.
   */
  private noteLookup(): void {
    this.answeredFrom = { handshake: this.session.openHandshakeId, revision: this.lookupRevision! };
    this.lookupRevision = null;
  }

  private after(record: () => void): void {
    if (this.accessing) this.caused.push(record);
    else record();
  }

  /**
   * The access itself first, then what it caused (an outcome it closed, a line it flushed).
   * A log byte write is the guest path's commonest access: it records nothing of its own
   * unless asked (its line's guest.log event carries it).
   */
  private recorded(
    op: Op,
    port: number,
    size: Width,
    value: number | undefined,
    response: number | undefined,
    timeUs: number,
  ): void {
    this.accessing = false;
    const logByte = op === 'out' && port === LOG_PORT && size === 1;
    if (!logByte && !this.logByteAccesses) {
      if (!this.spilling) this.spillPendingLog();
      // A log byte from a wider access (qemu-traditional's writew at 0x11) is on the record as
      // that access: the line must not be rebuilt with it, so the rest of it spills.
      if (this.session.deviceModel.effect === Effect.LogByte) this.spilling = true;
    }
    if (!logByte || this.logByteAccesses || this.spilling)
      this.recordAccess(op, port, size, value, response, timeUs);
    if (this.caused.length === 0) return;
    const caused = this.caused;
    this.caused = [];
    for (const record of caused) record();
  }

  private recordAccess(
    op: Op,
    port: number,
    size: Width,
    value: number | undefined,
    response: number | undefined,
    timeUs: number,
  ): void {
    this.lastAccessUs = timeUs;
    this.emit(
      'port.access',
      {
        op,
        port,
        size,
        value: op === 'out' ? (value ?? 0) : null,
        response: op === 'in' ? (response ?? null) : null,
      },
      timeUs,
    );
  }

  /**
   * Another access comes while a line is open: its bytes so far go on the record now, before
   * that access (times spread between the line's first and last byte, as replay would).
   */
  private spillPendingLog(): void {
    if (this.pendingBefore <= this.carried) return;
    const pending = this.session.pendingLog();
    if (!pending) return;
    this.spilling = true;
    const bytes = logLineAccesses({
      wireBytes: pending.wireBytes.subarray(this.carried, this.pendingBefore),
      firstUs: Math.max(pending.firstUs, this.lastAccessUs),
      lastUs: pending.lastUs,
    });
    for (const byte of bytes) this.recordAccess('out', LOG_PORT, 1, byte.value, undefined, byte.t);
  }

  /** A line cut short by stop or reset still reaches the record, with no flushing byte. */
  private flushPendingLog(): void {
    const pending = this.session.pendingLog();
    if (!pending) return;
    this.emitLog({
      bytes: pending.bytes,
      truncated: false,
      trigger: null,
      droppedBefore: 0,
      throttledMs: 0,
      accessCount: pending.wireBytes.length,
      firstUs: pending.firstUs,
      lastUs: pending.lastUs,
      handshakeId: pending.handshakeId,
    });
  }

  /** Fields copied one by one: spreading the session's line costs more than the rest (hot path). */
  private emitLogLine(line: SessionLogLine): void {
    const { bytes, wireBytes } = line;
    this.emitLog({
      bytes,
      truncated: line.truncated,
      trigger: wireBytes.length > bytes.length ? wireBytes[wireBytes.length - 1]! : null,
      droppedBefore: line.droppedBefore.lines,
      throttledMs: line.throttledMs,
      accessCount: line.accessCount,
      firstUs: line.firstUs,
      lastUs: line.lastUs,
      handshakeId: line.handshakeId,
    });
  }

  private emitLog(line: LogLineRecord): void {
    const data: GuestLogData = {
      text: guestLogText(line.bytes),
      bytesBase64: encodeLogBytes(line.bytes),
      truncated: line.truncated,
      trigger: line.trigger,
      droppedBefore: line.droppedBefore,
      throttledMs: line.throttledMs,
      accessCount: line.accessCount,
      firstTime: toEventTime(line.firstUs),
      lastTime: toEventTime(line.lastUs),
      handshakeId:
        line.handshakeId === null ? null : handshakeId(this.options.dm, line.handshakeId),
    };
    // Only when set: a guest line's event stays exactly what it was before the field existed.
    if (line.unattributed) data.attribution = 'unattributed';
    this.spilling = false;
    this.carried = 0;
    this.emit('guest.log', data, line.lastUs);
  }

  private emit<T extends GuestEvent['type']>(
    type: T,
    data: Extract<GuestEvent, { type: T }>['data'],
    timeUs: number,
  ): void {
    this.sink(this.stamper.stamp(type, data as never, timeUs) as GuestEvent);
  }
}

/** What a guest.log event is made from, whichever way the line was learnt. */
interface LogLineRecord {
  bytes: Uint8Array;
  truncated: boolean;
  trigger: number | null;
  droppedBefore: number;
  throttledMs: number;
  accessCount: number;
  firstUs: number;
  lastUs: number;
  handshakeId: number | null;
  /** A device-model log line not known to be the guest's (guest.log `attribution`). */
  unattributed?: boolean;
}

export function handshakeId(dm: string, ordinal: number): string {
  return `${dm}#${ordinal}`;
}

function outcomeData(
  dm: string,
  h: SessionHandshake,
  blacklistRevision: number | null,
): HandshakeOutcomeData {
  return {
    handshakeId: handshakeId(dm, h.handshakeId),
    ...handshakeOutcome(h),
    startTime: toEventTime(h.startUs),
    endTime: toEventTime(h.endUs),
    accessCount: h.accessCount,
    blacklistRevision,
  };
}
