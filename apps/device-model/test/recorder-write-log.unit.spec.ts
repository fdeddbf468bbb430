import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { GuestEvent } from '@magicport/events';
import { DeviceModelRecorder, type RecorderOptions } from '../src/recorder';

const base: RecorderOptions = {
  host: 'host-1',
  dm: 'host-1.dm-1',
  vm: '6f1c2b1e-3c4d-4e5f-8a9b-0c1d2e3f4a5b',
  domid: 7,
  profile: 'spec',
  enforceBlacklist: false,
  blacklist: () => false,
  idleGapMs: 5_000,
  logByteAccesses: false,
  source: 'simulated',
};
const T0 = Date.UTC(2026, 0, 1) * 1000;

/** A handshake that stays open, then log text: a run with a long step closes it as idle. */
function session(
  options: Partial<RecorderOptions>,
  writes: { text: string; step: number }[],
  write: (r: DeviceModelRecorder, text: string, t: number, step: number) => number,
): GuestEvent[] {
  const events: GuestEvent[] = [];
  const r = new DeviceModelRecorder({ ...base, ...options }, (e) => events.push(e));
  r.start(T0);
  r.access('in', 0x10, 2, undefined, T0 + 1);
  r.access('in', 0x12, 1, undefined, T0 + 2);
  let t = T0 + 3;
  for (const { text, step } of writes) {
    t = write(r, text, t, step);
    r.access('out', 0x12, 2, 3, t);
    t += 1;
  }
  r.stop('guest-shutdown', t);
  return events;
}

const writes = fc.array(
  fc.record({
    text: fc.oneof(
      fc.string({ maxLength: 80 }),
      fc.constantFrom('XEN|line\n', 'a\nb\n\nc', 'x'.repeat(4100), '\0\r\n\xff'),
    ),
    step: fc.constantFrom(0, 2, 3_000_000),
  }),
  { maxLength: 8 },
);

describe('DeviceModelRecorder.writeLog', () => {
  it('records what one 1-byte out 0x12 access per char records', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('spec' as const, 'qemu-traditional' as const, 'qemu-upstream' as const),
        fc.boolean(),
        writes,
        (profile, logByteAccesses, ws) => {
          const options = { profile, logByteAccesses };
          const batched = session(options, ws, (r, text, t, step) => r.writeLog(text, t, step));
          const byByte = session(options, ws, (r, text, t, step) => {
            for (let i = 0; i < text.length; i++) {
              r.access('out', 0x12, 1, text.charCodeAt(i), t);
              t += step;
            }
            return t;
          });
          expect(batched).toEqual(byByte);
        },
      ),
      { numRuns: 100 },
    );
    // 100 runs of up to 8 texts of up to 4100 chars, byte by byte too: ~1 s alone, past the
    // default 5 s when the unit project runs in parallel on a loaded 2-core machine.
  }, 30_000);
});
