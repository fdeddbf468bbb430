import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  collectSession,
  PROFILES,
  type GuestSessionOptions,
  type Width,
} from '@magicport/protocol';

/** Protocol accesses that open, advance and close handshakes between the log runs. */
const access = fc.record({
  kind: fc.constant('access' as const),
  op: fc.constantFrom('in' as const, 'out' as const),
  port: fc.oneof(fc.constantFrom(0x10, 0x12), fc.integer({ min: 0x10, max: 0x1f })),
  size: fc.constantFrom<Width>(1, 2, 4),
  value: fc.oneof(fc.integer({ min: 0, max: 0xffffffff }), fc.constantFrom(1, 3, 0x0a, 0x49d2)),
  dt: fc.nat(7_000_000),
});

/** Text with newlines, NULs, chars above 0xff (only the low byte is written) and lines long enough to fill the 4095-byte buffer. */
const text = fc.oneof(
  fc
    .array(
      fc.oneof(
        { weight: 6, arbitrary: fc.integer({ min: 0x20, max: 0x7e }) },
        { weight: 2, arbitrary: fc.constantFrom(0x0a, 0x00, 0x10a, 0xff) },
        { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffff }) },
      ),
      { maxLength: 300 },
    )
    .map((codes) => String.fromCharCode(...codes)),
  fc
    .tuple(fc.integer({ min: 4000, max: 9000 }), fc.boolean())
    .map(([n, newline]) => 'x'.repeat(n) + (newline ? '\n' : '')),
);
const logRun = fc.record({
  kind: fc.constant('log' as const),
  text,
  dt: fc.nat(7_000_000),
  // Steps past the 5 s idle gap close an open handshake in the middle of a run.
  step: fc.oneof(fc.constantFrom(1, 2), fc.integer({ min: 0, max: 6_000_000 })),
});
const script = fc.array(fc.oneof(access, logRun), { maxLength: 40 });

const options = fc.record({
  profile: fc.constantFrom(...PROFILES),
  logRateLimit: fc.constantFrom<GuestSessionOptions['logRateLimit']>(
    undefined,
    false,
    { burstBytes: 600, bytesPerSecond: 50 },
    { burstBytes: 5000, bytesPerSecond: 2000 },
  ),
});

describe('writeLog', () => {
  it('gives what one 1-byte out 0x12 access per char gives, whatever came before', () => {
    fc.assert(
      fc.property(options, script, (o, steps) => {
        const batched = collectSession({ ...o, blacklist: () => true });
        const byByte = collectSession({ ...o, blacklist: () => true });
        let t = 0;
        for (const step of steps) {
          t += step.dt;
          if (step.kind === 'access') {
            const value = step.op === 'out' ? step.value : undefined;
            expect(batched.session.access(step.op, step.port, step.size, value, t)).toBe(
              byByte.session.access(step.op, step.port, step.size, value, t),
            );
          } else {
            const end = batched.session.writeLog(step.text, t, step.step);
            for (let i = 0; i < step.text.length; i++) {
              byByte.session.access('out', 0x12, 1, step.text.charCodeAt(i), t);
              t += step.step;
            }
            expect(end).toBe(t);
          }
          expect(effects(batched.session.deviceModel)).toEqual(effects(byByte.session.deviceModel));
          expect(batched.session.openHandshakeId).toBe(byByte.session.openHandshakeId);
          expect(batched.session.phase).toBe(byByte.session.phase);
          expect(plain(batched.session.pendingLog())).toEqual(plain(byByte.session.pendingLog()));
        }
        batched.session.stop(t + 1);
        byByte.session.stop(t + 1);
        expect(batched.handshakes).toEqual(byByte.handshakes);
        expect(plain(batched.logLines)).toEqual(plain(byByte.logLines));
        expect(plain(batched.droppedLogLines)).toEqual(plain(byByte.droppedLogLines));
      }),
      { numRuns: 200 },
    );
  }, 60_000);
});

function effects(dm: {
  effect: number;
  effectValue: number;
  applied: boolean;
  blacklistKey: string | null;
  blacklisted: boolean;
}) {
  const { effect, effectValue, applied, blacklistKey, blacklisted } = dm;
  return { effect, effectValue, applied, blacklistKey, blacklisted };
}

/** Byte arrays as hex: comparing them element by element is slow at 4 KiB a line. */
function plain(value: unknown): unknown {
  return JSON.parse(
    JSON.stringify(value, (_key, v: unknown) =>
      v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v,
    ),
  );
}
