import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { eventJson, type GuestEvent, type MagicportEvent } from '@magicport/events';
import { anyEvent, guestEvent } from './event-arbitraries';
import { sampleGuestEvents } from './sample-events';

const access = () => sampleGuestEvents().find((e) => e.type === 'port.access')!;
const log = () => sampleGuestEvents().find((e) => e.type === 'guest.log')!;

describe('eventJson', () => {
  it('is JSON.stringify, string for string, for any valid event', () => {
    fc.assert(
      fc.property(anyEvent, (event) => {
        expect(eventJson(event)).toBe(JSON.stringify(event));
      }),
      { numRuns: 2000 },
    );
  });

  it('stays JSON.stringify when the host, vm, domid or boot change under the same dm', () => {
    // The per-stream head is remembered by dm: a later event of that dm with other values (or
    // ill-typed ones) must not get the remembered head.
    const other = fc.oneof(
      fc.string(),
      fc.integer({ min: -5, max: 70_000 }),
      fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, -0, 1.5, null, undefined),
    );
    fc.assert(
      fc.property(
        guestEvent,
        fc.array(
          fc.tuple(guestEvent, fc.constantFrom('host', 'vm', 'domid', 'boot', 'none'), other),
          { minLength: 1, maxLength: 8 },
        ),
        (base, steps) => {
          const { host, vm, domid, boot } = base;
          for (const [event, field, value] of steps) {
            // One stream's values with one of them changed (key order stays the envelope's).
            const changed = { ...event, host, dm: 'dm-shared', vm, domid, boot } as Record<
              string,
              unknown
            >;
            if (field !== 'none') changed[field] = value;
            const e = changed as unknown as MagicportEvent;
            expect(eventJson(e)).toBe(JSON.stringify(e));
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('stays JSON.stringify when the first or last time of a guest.log is (or is not) the event time', () => {
    const times = (time: string) =>
      fc.constantFrom<unknown>(time, `${time}`, '2026-03-01T12:00:00.000000Z', 'a"b', 7, undefined);
    const event = log();
    fc.assert(
      fc.property(
        times(event.time),
        times(event.time),
        fc.constantFrom<unknown>(event.time, 'x\ny', undefined),
        (firstTime, lastTime, time) => {
          const e = {
            ...event,
            time,
            data: { ...event.data, firstTime, lastTime },
          } as unknown as MagicportEvent;
          expect(eventJson(e)).toBe(JSON.stringify(e));
        },
      ),
    );
  });

  it('is JSON.stringify for ids and times with any one character in them', () => {
    // The edges of what is written as it is: printable ASCII but quote and backslash.
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffff }), fc.boolean(), (code, inTime) => {
        const c = String.fromCharCode(code);
        const e = access();
        const event = (
          inTime ? { ...e, time: `${e.time}${c}` } : { ...e, id: `a${c}b` }
        ) as GuestEvent;
        expect(eventJson(event)).toBe(JSON.stringify(event));
      }),
      { numRuns: 3000 },
    );
    for (const c of ['"', '\\', '\x7f', '\x1f', ' ', '~', '!', 'é', '\ud800'])
      expect(eventJson({ ...access(), id: c } as GuestEvent)).toBe(
        JSON.stringify({ ...access(), id: c }),
      );
  });

  it('writes a port.access event out by hand', () => {
    const event = access();
    expect(eventJson(event)).toBe(
      `{"id":"${event.dm}:${event.seq}","type":"port.access","v":1,"time":"${event.time}","host":"${event.host}","dm":"${event.dm}","seq":${event.seq},"vm":"${event.vm}","domid":${event.domid},"boot":${event.boot},"data":${JSON.stringify(event.data)}}`,
    );
  });

  it('escapes what JSON must: quotes, backslashes and controls in host and log text', () => {
    const event = { ...log(), host: 'rack "7"\\a' } as GuestEvent;
    (event.data as { text: string }).text = 'say "hi"\\\n\u0000\u2028 é';
    expect(eventJson(event)).toBe(JSON.stringify(event));
    expect(JSON.parse(eventJson(event))).toStrictEqual(event);
  });

  it('falls back to JSON.stringify when a field is not of its type', () => {
    const cases: unknown[] = [
      { ...access(), seq: Number.NaN },
      { ...access(), data: { ...access().data, response: Number.POSITIVE_INFINITY } },
      { ...access(), data: { ...access().data, op: 'in"' } },
      { ...access(), time: undefined },
      { ...log(), data: { ...log().data, throttledMs: Number.NaN } },
      { ...log(), data: { ...log().data, handshakeId: 'a\nb' } },
      { ...log(), data: { ...log().data, text: 7 } },
    ];
    for (const event of cases)
      expect(eventJson(event as MagicportEvent)).toBe(JSON.stringify(event));
  });
});
