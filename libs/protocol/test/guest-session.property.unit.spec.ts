import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createGuestSession,
  parseTranscript,
  PROFILES,
  replay,
  runTranscript,
  TranscriptError,
  type Width,
} from '@magicport/protocol';
import { record, type GuestAccess } from './support/recording';

/** Mostly the device's own ports, some anywhere in IO space; sometimes long runs of log bytes. */
const port = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0x10, max: 0x1f }) },
  { weight: 2, arbitrary: fc.constantFrom(0x10, 0x12) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffff }) },
);
const width = fc.constantFrom<Width>(1, 2, 4);
const value = fc.oneof(
  fc.integer({ min: 0, max: 0xffffffff }),
  fc.constantFrom(0, 1, 3, 0x0a, 0xffff, 0x49d2),
);
const access = fc.record({
  op: fc.constantFrom('in' as const, 'out' as const),
  port,
  size: width,
  value,
  dt: fc.nat(7_000_000),
});
const stream = fc.array(access, { maxLength: 300 });

/** Event times from the generated gaps: some gaps exceed the 5 s idle gap. */
function timedStream(
  accesses: { op: 'in' | 'out'; port: number; size: Width; value: number; dt: number }[],
): GuestAccess[] {
  let t = 0;
  return accesses.map(({ dt, value, ...a }) => {
    t += dt;
    return a.op === 'out' ? { ...a, value, t } : { ...a, t };
  });
}

const options = fc.record({
  profile: fc.constantFrom(...PROFILES),
  listed: fc.constantFrom('nothing', 'everything', 'linux/1'),
  enforceBlacklist: fc.boolean(),
});

function sessionOptions(o: {
  profile: (typeof PROFILES)[number];
  listed: string;
  enforceBlacklist: boolean;
}) {
  const blacklist =
    o.listed === 'everything'
      ? () => true
      : (key: string) => key === `/mh/driver-blacklist/${o.listed}`;
  return { profile: o.profile, blacklist, enforceBlacklist: o.enforceBlacklist };
}

const RETAINED_BOUND = 2 * 4096 + 1 + 64 + 11 + 11;

describe('any guest access stream', () => {
  it('never throws, answers within the width, and -1 for writes', () => {
    fc.assert(
      fc.property(options, stream, (o, accesses) => {
        const session = createGuestSession(sessionOptions(o));
        for (const a of timedStream(accesses)) {
          const response = session.access(a.op, a.port, a.size, a.value, a.t);
          if (a.op === 'out') expect(response).toBe(-1);
          else
            expect(
              response >= 0 && response <= 2 ** (8 * a.size) - 1 && Number.isInteger(response),
            ).toBe(true);
        }
        session.stop(Number.MAX_SAFE_INTEGER);
      }),
      { numRuns: 300 },
    );
  });

  it('keeps retained state bounded, even under a flood', () => {
    fc.assert(
      fc.property(options, stream, fc.integer({ min: 0, max: 0xff }), (o, accesses, byte) => {
        const session = createGuestSession(sessionOptions(o));
        session.access('in', 0x10, 2, undefined, 0);
        for (let i = 0; i < 20_000; i++) {
          session.access('out', 0x12, 1, byte, 1);
          if (i % 100 === 0) session.access('out', 0x10, 2, i, 1);
        }
        for (const a of timedStream(accesses)) session.access(a.op, a.port, a.size, a.value, a.t);
        expect(session.retained()).toBeLessThanOrEqual(RETAINED_BOUND);
      }),
      { numRuns: 30 },
    );
  });

  it('replays its own recording with zero differences', () => {
    fc.assert(
      fc.property(options, stream, (o, accesses) => {
        const recording = record(sessionOptions(o), timedStream(accesses));
        expect(replay(recording, sessionOptions(o)).differences).toEqual([]);
        expect(replay({ accesses: recording.accesses }, sessionOptions(o)).differences).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });

  it('runs as a transcript whatever the guest did', () => {
    fc.assert(
      fc.property(options, stream, (o, accesses) => {
        const transcript = {
          profile: o.profile,
          accesses: timedStream(accesses).map(({ op, port, size, value, t }) =>
            op === 'out'
              ? { op, port, size, value: value! % 2 ** (8 * size), t }
              : { op, port, size, t },
          ),
        };
        const result = runTranscript(transcript);
        expect(result.responses).toHaveLength(accesses.filter((a) => a.op === 'in').length);
      }),
      { numRuns: 100 },
    );
  });
});

describe('any JSON as a transcript', () => {
  it('is either a transcript or a TranscriptError, never another exception', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (json) => {
        try {
          parseTranscript(json);
        } catch (error) {
          expect(error).toBeInstanceOf(TranscriptError);
        }
      }),
      { numRuns: 500 },
    );
  });
});
