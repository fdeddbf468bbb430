import { Effect } from '../device-model/effect';
import type { HandshakePhase } from '../handshake/handshake-state';
import {
  collectSession,
  type GuestSession,
  type GuestSessionOptions,
  type SessionHandshake,
  type SessionLogLine,
} from '../session/guest-session';
import type { HandshakeOutcome, Op, Width } from '../types';
import { describeAccess } from './access-meaning';

/** One access as recorded: what the guest did, what the device model answered, when. */
export interface RecordedAccess {
  op: Op;
  port: number;
  size: Width;
  /** Written value, `out` only. */
  value?: number;
  /** Value the recorded device model returned, `in` only. */
  response?: number;
  /** Event time, microseconds. */
  t: number;
}

/** An earlier boot on the same device-model instance: its accesses and when it was reset. */
export interface EarlierBoot {
  accesses: readonly RecordedAccess[];
  /** Time of the reset that ended it (the next boot's start, or its last access). */
  resetUs: number;
}

export interface ReplayInput {
  /**
   * The instance's earlier boots, oldest first: replayed (with a device-model reset between
   * boots, as the recorder does at reboot) but not reported, so state that survives a reset
   * (qemu-traditional's product and blacklist flag) is there when the replayed boot starts.
   */
  earlierBoots?: readonly EarlierBoot[];
  accesses: readonly RecordedAccess[];
  /** The outcomes recorded at the time; when absent they are derived from the recorded responses. */
  outcomes?: readonly HandshakeOutcome[];
}

export interface TimelineEntry {
  index: number;
  t: number;
  op: Op;
  port: number;
  size: Width;
  value: number | null;
  /** Replayed answer (`in`), null for `out`. */
  response: number | null;
  recordedResponse: number | null;
  meaning: string;
  /** Tracker state after the access. */
  handshakeId: number | null;
  phase: HandshakePhase;
}

export type ReplayDifference =
  | {
      kind: 'response';
      index: number;
      t: number;
      meaning: string;
      recorded: number;
      replayed: number;
    }
  | { kind: 'outcome-count'; recorded: number; replayed: number }
  | {
      kind: 'outcome';
      handshake: number;
      field: keyof HandshakeOutcome;
      recorded: unknown;
      replayed: unknown;
    };

/** What a replay reports beyond its outcomes and differences. */
export interface ReplayReport {
  /**
   * Timeline entries kept (default all): the rest are replayed, compared and counted in
   * `timelineLength` but never built (a long boot's entries cost more than its replay).
   */
  timelineLimit?: number;
}

export interface ReplayResult {
  /** The first `timelineLimit` entries. */
  timeline: TimelineEntry[];
  /** Entries the whole boot has (= accesses replayed). */
  timelineLength: number;
  outcomes: SessionHandshake[];
  recordedOutcomes: HandshakeOutcome[];
  logLines: SessionLogLine[];
  differences: ReplayDifference[];
}

/** The fields of a handshake outcome, in the order a replay compares and reports them. */
export const OUTCOME_FIELDS: readonly (keyof HandshakeOutcome)[] = [
  'result',
  'protocolVersion',
  'product',
  'build',
  'blacklisted',
  'blacklistKey',
  'mask',
  'maskWrites',
  'unplug',
  'unplugApplied',
  'violations',
];

/**
 * Re-runs a recorded access stream through a device model of the chosen profile, blacklist and
 * enforcement ("what if"), and lists every difference from what was recorded. The guest's side
 * is replayed as recorded: a driver that would have reacted differently cannot be re-run here.
 */
export function replay(
  input: ReplayInput,
  options: GuestSessionOptions = {},
  report: ReplayReport = {},
): ReplayResult {
  const replayed = collectSession(options);
  // Without recorded outcomes, the recorded side is the tracker fed the recorded responses.
  const recorded = input.outcomes === undefined ? collectSession(options) : null;
  for (const boot of input.earlierBoots ?? []) {
    for (const a of boot.accesses) {
      replayed.session.access(a.op, a.port, a.size, a.value, a.t);
      recorded?.session.observe(a.op, a.port, a.size, a.value, a.response, a.t);
    }
    replayed.session.stop(boot.resetUs);
    recorded?.session.stop(boot.resetUs);
  }
  // Only the replayed boot's handshakes and lines are reported.
  const skipHandshakes = replayed.handshakes.length;
  const skipRecorded = recorded?.handshakes.length ?? 0;
  const skipLines = replayed.logLines.length;
  const timeline: TimelineEntry[] = [];
  const responses: ReplayDifference[] = [];
  const limit = report.timelineLimit ?? Infinity;
  const accesses = input.accesses;
  let lastT = 0;
  for (let index = 0; index < accesses.length; index++) {
    const access = accesses[index]!;
    const session = replayed.session;
    const response = session.access(access.op, access.port, access.size, access.value, access.t);
    if (index < limit) timeline.push(timelineEntry(session, access, index, response));
    if (access.op === 'in' && access.response !== undefined && access.response !== response) {
      responses.push({
        kind: 'response',
        index,
        t: access.t,
        meaning: meaningOf(session, access, response),
        recorded: access.response,
        replayed: response,
      });
    }
    recorded?.session.observe(
      access.op,
      access.port,
      access.size,
      access.value,
      access.response,
      access.t,
    );
    if (access.t > lastT) lastT = access.t;
  }
  replayed.session.stop(lastT);
  recorded?.session.stop(lastT);
  const recordedOutcomes = input.outcomes
    ? [...input.outcomes]
    : (recorded?.handshakes.slice(skipRecorded) ?? []);
  const outcomes = replayed.handshakes.slice(skipHandshakes);
  const differences = [...responses, ...outcomeDifferences(recordedOutcomes, outcomes)];
  return {
    timeline,
    timelineLength: accesses.length,
    outcomes,
    recordedOutcomes,
    logLines: replayed.logLines.slice(skipLines),
    differences,
  };
}

/** The entry of an access just replayed (the session's state is the one after it). */
function timelineEntry(
  session: GuestSession,
  a: RecordedAccess,
  index: number,
  response: number,
): TimelineEntry {
  return {
    index,
    t: a.t,
    op: a.op,
    port: a.port,
    size: a.size,
    value: a.op === 'out' ? (a.value ?? 0) : null,
    response: a.op === 'in' ? response : null,
    recordedResponse: a.op === 'in' && a.response !== undefined ? a.response : null,
    meaning: meaningOf(session, a, response),
    handshakeId: session.openHandshakeId,
    phase: session.phase,
  };
}

function meaningOf(session: GuestSession, a: RecordedAccess, response: number): string {
  const dm = session.deviceModel;
  const recheck = dm.effect === Effect.MagicRead && session.phase === 'rechecked';
  return describeAccess(a.op, a.port, a.size, response, dm, recheck);
}

function outcomeDifferences(
  recorded: readonly HandshakeOutcome[],
  replayed: readonly HandshakeOutcome[],
): ReplayDifference[] {
  const differences: ReplayDifference[] = [];
  if (recorded.length !== replayed.length) {
    differences.push({
      kind: 'outcome-count',
      recorded: recorded.length,
      replayed: replayed.length,
    });
  }
  const n = Math.min(recorded.length, replayed.length);
  for (let handshake = 0; handshake < n; handshake++) {
    for (const field of OUTCOME_FIELDS) {
      const a = recorded[handshake]?.[field];
      const b = replayed[handshake]?.[field];
      if (!sameValue(a, b))
        differences.push({ kind: 'outcome', handshake, field, recorded: a, replayed: b });
    }
  }
  return differences;
}

/** Structural equality of JSON-like values, ignoring key order (recorded outcomes come from storage). */
function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) =>
    sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]),
  );
}
