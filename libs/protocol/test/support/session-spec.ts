import { expect } from 'vitest';
import {
  createGuestSession,
  type GuestSessionOptions,
  type HandshakeOutcome,
  type SessionHandshake,
  type SessionLogLine,
} from '@magicport/protocol';
import { flatten, type Step, type Steps } from './session-steps';

/** What the `when` steps produced: values read and events emitted, nothing from `given`. */
export interface Happened {
  responses: number[];
  handshakes: SessionHandshake[];
  logLines: SessionLogLine[];
  droppedLogLines: SessionLogLine[];
}

export interface Expected {
  responses?: number[];
  /** Each compared with toMatchObject; the count must match. Default: none closed. */
  handshakes?: Partial<SessionHandshake>[];
  /** Each compared with toMatchObject; the count must match. Default: none emitted. */
  logLines?: Partial<SessionLogLine>[];
}

/**
 * Given / when / then over one guest session (emmett's deciderSpecification, for a device
 * model): `given` steps set the state up and their events are discarded; `then` asserts
 * exactly what the `when` steps produced. Each step without its own time is 1 µs after the last.
 */
export function sessionSpec(options: GuestSessionOptions = {}) {
  return {
    given: (...history: Steps[]) => ({
      when: (...steps: Steps[]) => ({
        then: (expected: Expected) =>
          assertHappened(run(options, flatten(history), flatten(steps)), expected),
        happened: () => run(options, flatten(history), flatten(steps)),
      }),
    }),
  };
}

function run(options: GuestSessionOptions, history: Step[], steps: Step[]): Happened {
  const happened: Happened = { responses: [], handshakes: [], logLines: [], droppedLogLines: [] };
  let recording = false;
  const session = createGuestSession(options, {
    handshake: (h) => recording && happened.handshakes.push(h),
    logLine: (l) => recording && happened.logLines.push(l),
    logLineDropped: (l) => recording && happened.droppedLogLines.push(l),
  });
  let now = -1;
  const apply = (step: Step) => {
    if (step.kind === 'advance') {
      now = step.t;
      session.advance(now);
      return;
    }
    now = step.t ?? now + 1;
    if (step.kind === 'stop') {
      session.stop(now);
      return;
    }
    const response = session.access(step.op, step.port, step.size, step.value, now);
    if (recording && step.op === 'in') happened.responses.push(response);
  };
  history.forEach(apply);
  recording = true;
  steps.forEach(apply);
  return happened;
}

function assertHappened(happened: Happened, expected: Expected): void {
  if (expected.responses) expect(happened.responses).toEqual(expected.responses);
  expect(happened.handshakes).toHaveLength((expected.handshakes ?? []).length);
  (expected.handshakes ?? []).forEach((h, i) => expect(happened.handshakes[i]).toMatchObject(h));
  expect(happened.logLines).toHaveLength((expected.logLines ?? []).length);
  (expected.logLines ?? []).forEach((l, i) => expect(happened.logLines[i]).toMatchObject(l));
}

/** A complete §4 outcome: the defaults are an empty abandoned handshake. */
export function outcome(fields: Partial<HandshakeOutcome>): HandshakeOutcome {
  const mask = fields.mask ?? 0;
  return {
    result: 'abandoned',
    protocolVersion: null,
    product: null,
    build: null,
    blacklisted: false,
    blacklistKey: null,
    mask,
    maskWrites: [],
    unplug: {
      ideScsiDisks: (mask & 1) !== 0,
      nics: (mask & 2) !== 0,
      auxIdeDisks: (mask & 4) !== 0,
      nvmeDisks: (mask & 8) !== 0,
    },
    unplugApplied: false,
    violations: [],
    ...fields,
  };
}
