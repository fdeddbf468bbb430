import { checkProfile, createDeviceModel } from '../device-model/create-device-model';
import type { DeviceModel, DeviceModelOptions } from '../device-model/device-model';
import { Effect } from '../device-model/effect';
import {
  LogAssembler,
  type AssembledLogLine,
  type PendingLogLine,
} from '../guest-log/log-assembler';
import {
  DroppingTokenBucket,
  TraditionalThrottle,
  TRADITIONAL_LOG_RATE_LIMIT,
  UNLIMITED,
  type LineLimiter,
  type LogRateLimit,
} from '../guest-log/log-rate-limit';
import type { ClosedHandshake, HandshakePhase } from '../handshake/handshake-state';
import { DEFAULT_IDLE_GAP_MS, HandshakeTracker } from '../handshake/handshake-tracker';
import { PORT_PROTOCOL } from '../constants';
import type { Op, ProfileName, Width } from '../types';

const LOG_PORT = PORT_PROTOCOL;

export interface GuestSessionOptions extends DeviceModelOptions {
  /** Close an open handshake after this much event time without protocol access (default 5 s). */
  idleGapMs?: number;
  /**
   * spec: the dropping token bucket (default 128 KiB burst, 256 B/s, like qemu-traditional);
   * qemu-traditional: its throttle's bucket (false = the `log-throttling` key set to 0);
   * qemu-upstream has no limiter and ignores this.
   */
  logRateLimit?: LogRateLimit | false;
}

export type SessionHandshake = ClosedHandshake;
export type SessionLogLine = AssembledLogLine;

export interface SessionSink {
  handshake?(handshake: SessionHandshake): void;
  logLine?(line: SessionLogLine): void;
  /** Lines the spec limiter dropped; their count also reaches the next line's droppedBefore. */
  logLineDropped?(line: SessionLogLine): void;
}

/** One guest on one device-model instance: device model + handshake tracker + log assembly. */
export interface GuestSession {
  readonly profile: ProfileName;
  /** The device model; its effect fields describe the last access. */
  readonly deviceModel: DeviceModel;
  readonly openHandshakeId: number | null;
  readonly phase: HandshakePhase;
  /** Value read for `in` (masked to width), -1 for `out`. Never throws. */
  access(op: Op, port: number, size: Width, value: number | undefined, timeUs: number): number;
  /**
   * `text` as one 1-byte `out 0x12` per char (its low byte), the first at `startUs` and each
   * next `stepUs` later; returns the time after the last. What that run of `access` calls does
   * (a log flood is most of a fleet's accesses: one call, not one per byte), except that a sink
   * called during the run sees `deviceModel.effectValue` of the run's first byte.
   */
  writeLog(text: string, startUs: number, stepUs: number): number;
  /**
   * An access some other device model answered (a recording, a tap on real QEMU): the profile's
   * device model decodes it, the tracker sees `response` (for `in`; undefined = our answer).
   */
  observe(
    op: Op,
    port: number,
    size: Width,
    value: number | undefined,
    response: number | undefined,
    timeUs: number,
  ): void;
  /** Let event time pass without an access: closes an idle handshake. */
  advance(timeUs: number): void;
  /** Device-model stop/reset: closes any open handshake, flushes nothing else. */
  stop(timeUs: number): void;
  /** The log line still in the device model's buffer, if any. */
  pendingLog(): PendingLogLine | null;
  /** How many bytes that line holds so far (0: none), without copying them. */
  pendingLogBytes(): number;
  /** Size of retained state (bytes + entries); bounded whatever the guest does. */
  retained(): number;
}

export function createGuestSession(
  options: GuestSessionOptions = {},
  sink: SessionSink = {},
): GuestSession {
  const profile = checkProfile(options.profile ?? 'spec');
  const dm = createDeviceModel({ ...options, profile });
  const tracker = new HandshakeTracker(checkIdleGap(options.idleGapMs), (h) => sink.handshake?.(h));
  const log = new LogAssembler(limiterFor(profile, options.logRateLimit), {
    emit: (line) => sink.logLine?.(line),
    drop: sink.logLineDropped && ((line) => sink.logLineDropped?.(line)),
  });

  function after(port: number, response: number, timeUs: number): void {
    tracker.observe(port, response, timeUs, dm);
    if (dm.effect === Effect.LogByte) log.push(dm.effectValue, timeUs, tracker.openId);
  }

  /** `access('out', 0x12, 1, value)`: both profiles take it as a log byte (Effect.LogByte). */
  function logByte(value: number | undefined, timeUs: number): void {
    dm.access('out', LOG_PORT, 1, value);
    tracker.logByte(timeUs);
    log.push(dm.effectValue, timeUs, tracker.openId);
  }

  return {
    profile,
    deviceModel: dm,
    get openHandshakeId() {
      return tracker.openId;
    },
    get phase() {
      return tracker.phase;
    },
    access(op, port, size, value, timeUs) {
      if (op === 'out' && port === LOG_PORT && size === 1) {
        logByte(value, timeUs);
        return -1;
      }
      const response = dm.access(op, port, size, value);
      after(port, response, timeUs);
      return response;
    },
    writeLog(text, startUs, stepUs) {
      const n = text.length;
      if (n === 0) return startUs;
      // A log byte changes nothing in the device model but its effect fields (the same for
      // every byte but the value): set them for the first byte and the last, not per byte.
      dm.access('out', LOG_PORT, 1, text.charCodeAt(0));
      let t = startUs;
      for (let i = 0; i < n; i++) {
        tracker.logByte(t);
        log.push(text.charCodeAt(i) & 0xff, t, tracker.openId);
        t += stepUs;
      }
      if (n > 1) dm.access('out', LOG_PORT, 1, text.charCodeAt(n - 1));
      return t;
    },
    observe(op, port, size, value, response, timeUs) {
      const own = dm.access(op, port, size, value);
      after(port, op === 'in' && response !== undefined ? response : own, timeUs);
    },
    advance: (timeUs) => tracker.advance(timeUs),
    stop(timeUs) {
      tracker.stop(timeUs);
      dm.reset();
    },
    pendingLog: () => log.pending(),
    pendingLogBytes: () => log.pendingCount(),
    retained: () => tracker.retained() + log.retained(),
  };
}

/** Test and tooling convenience: a session whose outputs are collected into arrays. */
export function collectSession(options: GuestSessionOptions = {}): {
  session: GuestSession;
  handshakes: SessionHandshake[];
  logLines: SessionLogLine[];
  droppedLogLines: SessionLogLine[];
} {
  const handshakes: SessionHandshake[] = [];
  const logLines: SessionLogLine[] = [];
  const droppedLogLines: SessionLogLine[] = [];
  const session = createGuestSession(options, {
    handshake: (h) => handshakes.push(h),
    logLine: (l) => logLines.push(l),
    logLineDropped: (l) => droppedLogLines.push(l),
  });
  return { session, handshakes, logLines, droppedLogLines };
}

function limiterFor(profile: ProfileName, limit: LogRateLimit | false | undefined): LineLimiter {
  if (profile === 'qemu-upstream' || limit === false) return UNLIMITED;
  const checked = checkRateLimit(limit ?? TRADITIONAL_LOG_RATE_LIMIT);
  return profile === 'spec' ? new DroppingTokenBucket(checked) : new TraditionalThrottle(checked);
}

function checkIdleGap(idleGapMs: number | undefined): number {
  if (idleGapMs === undefined) return DEFAULT_IDLE_GAP_MS;
  if (typeof idleGapMs === 'number' && idleGapMs > 0) return idleGapMs;
  throw new RangeError(
    `idleGapMs must be a positive number of milliseconds (got ${String(idleGapMs)})`,
  );
}

function checkRateLimit(limit: LogRateLimit): LogRateLimit {
  const ok = (n: unknown) => typeof n === 'number' && Number.isFinite(n) && n > 0;
  if (ok(limit.burstBytes) && ok(limit.bytesPerSecond)) return limit;
  throw new RangeError(
    `logRateLimit needs positive finite burstBytes and bytesPerSecond (got ${JSON.stringify(limit)})`,
  );
}
