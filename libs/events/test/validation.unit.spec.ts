import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  checkEvent,
  EVENT_TIME_END_MICROS,
  toEventTime,
  guestLogAttribution,
  type DecodeErrorCode,
  type GuestLogData,
} from '@magicport/events';
import { sampleEvents } from './sample-events';

type Json = Record<string, unknown> & { data: Record<string, unknown> };
const [started, readMagic, , , outcome, logLine, stopped, blacklistAdd] = sampleEvents().map(
  (event) => event as unknown as Json,
);

/** A copy of `event` with one change: every case below breaks exactly one rule. */
function broken(event: Json | undefined, change: (copy: Json) => void): unknown {
  const copy = structuredClone(event!);
  change(copy);
  return copy;
}

const cases: [string, unknown, DecodeErrorCode, string][] = [
  // envelope
  [
    'extra envelope field',
    broken(readMagic, (e) => (e.extra = 1)),
    'invalid-envelope',
    '/extra: is not allowed',
  ],
  [
    'id not {dm}:{seq}',
    broken(readMagic, (e) => (e.id = 'dm-7:9')),
    'invalid-envelope',
    '/id: must be "dm-7:1" ({dm}:{seq}), got "dm-7:9"',
  ],
  [
    'millisecond time',
    broken(readMagic, (e) => (e.time = '2026-03-01T12:00:00.000Z')),
    'invalid-envelope',
    '/time: Expected a UTC time like 2026-03-01T12:00:00.000000Z (6 fractional digits), got "2026-03-01T12:00:00.000Z"',
  ],
  [
    'impossible date',
    broken(readMagic, (e) => (e.time = '2026-02-29T12:00:00.000000Z')),
    'invalid-envelope',
    '/time: is not a calendar date: "2026-02-29T12:00:00.000000Z"',
  ],
  [
    'uppercase vm',
    broken(readMagic, (e) => (e.vm = 'A' + String(e.vm).slice(1))),
    'invalid-envelope',
    '/vm: Expected a lowercase canonical UUID, got "Af2504e0-4f89-41d3-9a0c-0305e82c3301"',
  ],
  [
    'reserved domid',
    broken(readMagic, (e) => (e.domid = 0x7ff0)),
    'invalid-envelope',
    '/domid: Expected integer to be less or equal to 32751, got 32752',
  ],
  [
    'negative seq',
    broken(readMagic, (e) => (e.seq = -1)),
    'invalid-envelope',
    '/seq: Expected integer to be greater or equal to 0, got -1',
  ],
  [
    'missing boot',
    broken(readMagic, (e) => delete e.boot),
    'invalid-envelope',
    '/boot: is required',
  ],
  [
    'dm with a colon',
    broken(readMagic, (e) => (e.dm = 'a:b')),
    'invalid-envelope',
    '/dm: Expected a stream id: 1-128 of [A-Za-z0-9._-], starting with a letter or digit, got "a:b"',
  ],
  [
    'empty host',
    broken(readMagic, (e) => (e.host = '')),
    'invalid-envelope',
    '/host: Expected string length greater or equal to 1, got ""',
  ],
  [
    'blacklist event with a vm',
    broken(blacklistAdd, (e) => (e.vm = 'x')),
    'invalid-envelope',
    '/vm: is not allowed',
  ],
  // port.access
  [
    'port past 0x1f',
    broken(readMagic, (e) => (e.data.port = 32)),
    'invalid-payload',
    '/data/port: Expected integer to be less or equal to 31, got 32',
  ],
  [
    'port as string',
    broken(readMagic, (e) => (e.data.port = '16')),
    'invalid-payload',
    '/data/port: Expected integer, got "16"',
  ],
  [
    'size 3',
    broken(readMagic, (e) => (e.data.size = 3)),
    'invalid-payload',
    '/data/size: Expected one of 1, 2, 4, got 3',
  ],
  [
    'unknown op',
    broken(readMagic, (e) => (e.data.op = 'rd')),
    'invalid-payload',
    '/data/op: Expected one of "in", "out", got "rd"',
  ],
  [
    'missing response',
    broken(readMagic, (e) => delete e.data.response),
    'invalid-payload',
    '/data/response: is required',
  ],
  [
    'fractional response',
    broken(readMagic, (e) => (e.data.response = 1.5)),
    'invalid-payload',
    '/data/response: Expected integer or null, got 1.5',
  ],
  [
    'response past 32 bits',
    broken(readMagic, (e) => (e.data.response = 2 ** 32)),
    'invalid-payload',
    '/data/response: Expected integer to be less or equal to 4294967295, got 4294967296',
  ],
  [
    'response wider than the access',
    broken(readMagic, (e) => (e.data.response = 0x10000)),
    'invalid-payload',
    '/data/response: 65536 does not fit a 2-byte access',
  ],
  [
    'value on an in',
    broken(readMagic, (e) => (e.data.value = 1)),
    'invalid-payload',
    '/data/value: must be null for op "in"',
  ],
  [
    'no response on an in',
    broken(readMagic, (e) => (e.data.response = null)),
    'invalid-payload',
    '/data/response: is required for op "in"',
  ],
  [
    'v0 field in v1',
    broken(readMagic, (e) => (e.data.dir = 'r')),
    'invalid-payload',
    '/data/dir: is not allowed',
  ],
  [
    'data missing',
    broken(readMagic, (e) => delete (e as Partial<Json>).data),
    'invalid-payload',
    '/data: is required',
  ],
  [
    'data null',
    broken(readMagic, (e) => (e.data = null as never)),
    'invalid-payload',
    '/data: Expected object, got null',
  ],
  // handshake.outcome
  [
    'product as a name',
    broken(outcome, (e) => (e.data.product = 'linux')),
    'invalid-payload',
    '/data/product: Expected object or null, got "linux"',
  ],
  [
    'product number past 16 bits',
    broken(outcome, (e) => ((e.data.product as Json).number = 70000)),
    'invalid-payload',
    '/data/product/number: Expected integer to be less or equal to 65535, got 70000',
  ],
  [
    'unknown result',
    broken(outcome, (e) => (e.data.result = 'ok')),
    'invalid-payload',
    '/data/result: Expected one of "unplugged", "no-unplug", "blacklisted", "blacklist-ignored", "version-unsupported", "magic-mismatch", "abandoned", got "ok"',
  ],
  [
    'violation not kebab-case',
    broken(outcome, (e) => (e.data.violations = ['Bad Code'])),
    'invalid-payload',
    '/data/violations/0: Expected a kebab-case code, got "Bad Code"',
  ],
  [
    'mask write not a number',
    broken(outcome, (e) => (e.data.maskWrites = [1, 'x'])),
    'invalid-payload',
    '/data/maskWrites/1: Expected integer, got "x"',
  ],
  [
    'ends before it starts',
    broken(outcome, (e) => (e.data.endTime = '2026-03-01T12:00:00.000009Z')),
    'invalid-payload',
    '/data/endTime: must not be before startTime',
  ],
  // guest.log
  [
    'non-canonical base64',
    broken(logLine, (e) => (e.data.bytesBase64 = 'QR==')),
    'invalid-payload',
    '/data/bytesBase64: is not canonical base64',
  ],
  [
    'unpadded base64',
    broken(logLine, (e) => (e.data.bytesBase64 = 'QQ')),
    'invalid-payload',
    '/data/bytesBase64: Expected standard padded base64, got "QQ"',
  ],
  [
    'access count off',
    broken(logLine, (e) => (e.data.accessCount = 3)),
    'invalid-payload',
    '/data/accessCount: must be 26 (line bytes + trigger), got 3',
  ],
  [
    'odd trigger',
    broken(logLine, (e) => (e.data.trigger = 65)),
    'invalid-payload',
    "/data/trigger: must be 10 ('\\n') or null unless truncated, got 65",
  ],
  [
    'short truncated line',
    broken(logLine, (e) => (e.data.truncated = true)),
    'invalid-payload',
    '/data/truncated: a truncated line has 4095 bytes and a trigger byte',
  ],
  [
    'last access first',
    broken(logLine, (e) => (e.data.lastTime = '2026-03-01T12:00:00.000001Z')),
    'invalid-payload',
    '/data/lastTime: must not be before firstTime',
  ],
  [
    'negative throttle',
    broken(logLine, (e) => (e.data.throttledMs = -1)),
    'invalid-payload',
    '/data/throttledMs: Expected number to be greater or equal to 0, got -1',
  ],
  // dm.started, dm.stopped
  [
    'unknown profile',
    broken(started, (e) => (e.data.profile = 'kvm')),
    'invalid-payload',
    '/data/profile: Expected one of "spec", "qemu-traditional", "qemu-upstream", got "kvm"',
  ],
  [
    'missing option',
    broken(started, (e) => delete (e.data.options as Json).idleGapMs),
    'invalid-payload',
    '/data/options/idleGapMs: is required',
  ],
  [
    'detail not text',
    broken(stopped, (e) => (e.data.detail = 5)),
    'invalid-payload',
    '/data/detail: Expected string or null, got 5',
  ],
  // blacklist
  [
    'key for another entry',
    broken(blacklistAdd, (e) => (e.data.key = '/mh/driver-blacklist/linux/1')),
    'invalid-payload',
    '/data/key: must be "/mh/driver-blacklist/xensource-windows/590080", got "/mh/driver-blacklist/linux/1"',
  ],
  [
    'revision 0',
    broken(blacklistAdd, (e) => (e.data.revision = 0)),
    'invalid-payload',
    '/data/revision: Expected integer to be greater or equal to 1, got 0',
  ],
  [
    'product with a slash',
    broken(blacklistAdd, (e) => (e.data.product = 'a/b')),
    'invalid-payload',
    '/data/product: Expected a product name: 1-64 of [A-Za-z0-9._+-], not starting with a symbol, got "a/b"',
  ],
  [
    'product nobody registered (no key the device model would look up)',
    broken(blacklistAdd, (e) => {
      e.data.product = 'windows';
      e.data.key = '/mh/driver-blacklist/windows/590080';
    }),
    'invalid-payload',
    '/data/product: is not a registered product name: "windows"',
  ],
  [
    'a build of 2^31 keyed the way qemu-traditional prints it',
    broken(blacklistAdd, (e) => {
      e.data.build = 0xffffffff;
      e.data.key = '/mh/driver-blacklist/xensource-windows/-1';
    }),
    'invalid-payload',
    '/data/key: must be "/mh/driver-blacklist/xensource-windows/4294967295", got "/mh/driver-blacklist/xensource-windows/-1"',
  ],
];

describe('validation names the breach precisely', () => {
  it.each(cases)('%s', (_name, value, code, reason) => {
    expect(checkEvent(value)).toStrictEqual({ ok: false, code, reason });
  });

  it('quotes long offending values only in part', () => {
    const value = broken(readMagic, (e) => (e.data.op = 'x'.repeat(100)));
    expect(checkEvent(value)).toStrictEqual({
      ok: false,
      code: 'invalid-payload',
      reason: `/data/op: Expected one of "in", "out", got "${'x'.repeat(36)}...`,
    });
  });

  it('the unbroken samples pass (control)', () => {
    for (const event of sampleEvents()) expect(checkEvent(event).ok).toBe(true);
  });
});

describe('guest.log attribution (optional, absent = guest)', () => {
  it('accepts a line without it (as written before it existed) and reads it as guest', () => {
    expect(logLine!.data.attribution).toBeUndefined();
    const checked = checkEvent(logLine);
    expect(checked.ok).toBe(true);
    expect(guestLogAttribution(logLine!.data as GuestLogData)).toBe('guest');
  });

  it('accepts unattributed and guest, and refuses any other value', () => {
    for (const attribution of ['unattributed', 'guest'] as const) {
      const value = broken(logLine, (e) => (e.data.attribution = attribution));
      expect(checkEvent(value).ok).toBe(true);
      expect(guestLogAttribution((value as Json).data as GuestLogData)).toBe(attribution);
    }
    expect(checkEvent(broken(logLine, (e) => (e.data.attribution = 'device-model')))).toStrictEqual(
      {
        ok: false,
        code: 'invalid-payload',
        reason: '/data/attribution: Expected one of "guest", "unattributed", got "device-model"',
      },
    );
  });
});

describe('time order of a handshake (start <= end), compared as text', () => {
  it('agrees with the instants for any two valid times, across days, years and leap days', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: EVENT_TIME_END_MICROS - 1 }),
        fc.integer({ min: 0, max: EVENT_TIME_END_MICROS - 1 }),
        (a, b) => {
          const event = broken(outcome, (e) => {
            e.data.startTime = toEventTime(a);
            e.data.endTime = toEventTime(b);
          });
          const result = checkEvent(event);
          expect(result.ok).toBe(a <= b);
          if (!result.ok) expect(result.reason).toBe('/data/endTime: must not be before startTime');
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it('still refuses a day the month lacks', () => {
    const event = broken(outcome, (e) => (e.data.endTime = '2026-02-29T12:00:00.000000Z'));
    expect(checkEvent(event)).toStrictEqual({
      ok: false,
      code: 'invalid-payload',
      reason: '/data/endTime: is not a calendar date: "2026-02-29T12:00:00.000000Z"',
    });
  });
});
