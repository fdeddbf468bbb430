import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createEventCodec,
  decodeEvent,
  eventRegistry,
  isValidPortAccessV1,
  type EventCodec,
} from '@magicport/events';
import { guestEvent } from './event-arbitraries';
import { sampleGuestEvents } from './sample-events';

/** The generic path alone (schema, envelope rules, payload rules): the reference verdicts. */
const generic: EventCodec = createEventCodec(eventRegistry());

const valid = sampleGuestEvents().filter((e) => e.type === 'port.access');
const base = valid[1]!; // an `out` of 3 to port 0x12, 2 bytes

/** Values that hit every edge of the schema's types and ranges. */
const ODD_VALUES: unknown[] = [
  undefined,
  null,
  true,
  0,
  -0,
  -1,
  1,
  1.5,
  15,
  16,
  31,
  32,
  255,
  256,
  0x7fef,
  0x7ff0,
  0xffff,
  0x10000,
  0xffffffff,
  0x100000000,
  Number.MAX_SAFE_INTEGER,
  Number.MAX_SAFE_INTEGER + 1,
  '',
  '1',
  'in',
  'out',
  'IN',
  'port.access',
  'dm-7',
  'dm-7:1',
  'x'.repeat(147),
  'x'.repeat(256),
  '2026-03-01T12:00:00.000005Z',
  '2026-02-30T12:00:00.000000Z',
  '2024-02-29T12:00:00.000000Z',
  '2026-03-01T12:00:00.00005Z',
  '2026-03-01 12:00:00.000005Z',
  '3f2504e0-4f89-41d3-9a0c-0305e82c3301',
  '3F2504E0-4F89-41D3-9A0C-0305E82C3301',
  [],
  {},
];

const clone = (v: unknown): Record<string, unknown> =>
  structuredClone(v) as Record<string, unknown>;

/** One field of the event or of its data replaced (or removed, for undefined), or one added. */
function variants(): unknown[] {
  const out: unknown[] = [...valid.map(clone)];
  const event = clone(base);
  const data = event.data as Record<string, unknown>;
  for (const key of [...Object.keys(event), 'extra']) {
    for (const odd of ODD_VALUES) {
      const v = clone(event);
      if (odd === undefined) delete v[key];
      else v[key] = odd;
      out.push(v);
    }
  }
  for (const key of [...Object.keys(data), 'extra']) {
    for (const odd of ODD_VALUES) {
      const v = clone(event);
      const d = v.data as Record<string, unknown>;
      if (odd === undefined) delete d[key];
      else d[key] = odd;
      out.push(v);
    }
  }
  // Rule breaches the schema cannot see, and the ids around the {dm}:{seq} rule.
  const breaches: [string, unknown][] = [
    ['op', 'in'], // an `in` with a value and no response
    ['response', 5], // both value and response
    ['value', 0x10000], // does not fit 2 bytes
  ];
  for (const [key, odd] of breaches) {
    const v = clone(event);
    (v.data as Record<string, unknown>)[key] = odd;
    out.push(v);
  }
  for (const id of ['dm-7:01', 'dm-7:1 ', 'dm-7;1', 'dm-71', 'dm-7:1:1', 'dm-:1', ':1', 'dm-7:']) {
    out.push({ ...clone(event), id });
  }
  out.push({ ...clone(event), dm: 'dm-7:', id: 'dm-7::1' });
  out.push([clone(event)], null, 'port.access', 42);
  const proto = clone(event);
  Object.defineProperty(proto, 'hidden', { value: 1, enumerable: false });
  out.push(proto);
  return out;
}

describe('the hand-written port.access check', () => {
  it('gives the generic verdict, reason and event for every variant', () => {
    const all = variants();
    let accepted = 0;
    for (const value of all) {
      const reference = generic.check(value);
      const fast = createEventCodec(eventRegistry(), { fastPortAccess: true }).check(value);
      expect(fast).toStrictEqual(reference);
      // It says yes exactly where the generic path does (so valid ones do take the fast path).
      const isPortAccess = reference.ok && reference.event.type === 'port.access';
      expect(isValidPortAccessV1(value)).toBe(isPortAccess);
      if (isPortAccess) accepted++;
    }
    // 3 samples, 41 odd values for each of 12 event keys and 6 data keys, 17 more breaches.
    expect(all.length).toBe(3 + 41 * 18 + 17);
    // The 3 samples and the variants that stay valid (a host of any 1-255 characters, a port
    // of 16 or 31, a domid of 0 or 0x7fef, ...): counted, so a check that stopped accepting
    // valid events (and sent everything down the slow path) fails here.
    expect(accepted).toBe(69);
  });

  it('gives the generic verdict for the bytes decodeEvent sees', () => {
    for (const value of variants()) {
      const bytes = Buffer.from(JSON.stringify(value) ?? 'undefined');
      expect(decodeEvent(bytes)).toStrictEqual(generic.decode(bytes));
    }
  });

  it('accepts every valid port.access the generic path accepts, and nothing else (property)', () => {
    fc.assert(
      fc.property(guestEvent, (event) => {
        expect(isValidPortAccessV1(event)).toBe(event.type === 'port.access');
        expect(decodeEvent(JSON.stringify(event))).toStrictEqual(
          generic.decode(JSON.stringify(event)),
        );
      }),
      { numRuns: 1_000 },
    );
  });

  it('gives the generic verdict on valid events with one field set to anything (property)', () => {
    const keys = [...Object.keys(base), ...Object.keys(base.data).map((k) => `data.${k}`)];
    fc.assert(
      fc.property(fc.constantFrom(...keys), fc.jsonValue(), (key, odd) => {
        const v = clone(base);
        if (key.startsWith('data.')) (v.data as Record<string, unknown>)[key.slice(5)] = odd;
        else v[key] = odd;
        const reference = generic.check(v);
        expect(isValidPortAccessV1(v)).toBe(reference.ok);
        expect(decodeEvent(JSON.stringify(v))).toStrictEqual(generic.decode(JSON.stringify(v)));
      }),
      { numRuns: 2_000 },
    );
  });
});
