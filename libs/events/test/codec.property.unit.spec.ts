import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeEvent, encodeEvent, type DecodeResult } from '@magicport/events';
import { anyEvent } from './event-arbitraries';

const CODES = [
  'malformed-json',
  'invalid-envelope',
  'unknown-type',
  'unknown-version',
  'invalid-payload',
];

/** decodeEvent must return a well-formed result for anything; a throw fails the property. */
function wellFormed(result: DecodeResult): boolean {
  return result.ok
    ? typeof result.event === 'object'
    : CODES.includes(result.code) && result.reason.length > 0;
}

describe('codec properties', () => {
  it('any valid event round-trips exactly', () => {
    fc.assert(
      fc.property(anyEvent, (event) => {
        expect(decodeEvent(encodeEvent(event))).toStrictEqual({ ok: true, event });
      }),
      { numRuns: 500 },
    );
  });

  it('arbitrary bytes never throw', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) =>
        wellFormed(decodeEvent(Buffer.from(bytes))),
      ),
      {
        numRuns: 2000,
      },
    );
  });

  it('arbitrary JSON never throws and never passes as an event by accident', () => {
    fc.assert(
      fc.property(fc.json(), (json) => {
        const result = decodeEvent(json);
        return wellFormed(result) && !result.ok;
      }),
      { numRuns: 1000 },
    );
  });

  it('every strict prefix of a valid record is malformed JSON', () => {
    fc.assert(
      fc.property(anyEvent, fc.nat(), (event, cut) => {
        const bytes = encodeEvent(event);
        const prefix = bytes.subarray(0, cut % bytes.length);
        const result = decodeEvent(prefix);
        return !result.ok && result.code === 'malformed-json';
      }),
      { numRuns: 300 },
    );
  });

  it('a valid event with one field replaced by any JSON value never throws', () => {
    fc.assert(
      fc.property(
        anyEvent,
        fc.nat(),
        fc.boolean(),
        fc.jsonValue(),
        (event, pick, inData, replacement) => {
          const copy = structuredClone(event) as unknown as Record<string, Record<string, unknown>>;
          const target = inData ? copy.data! : (copy as Record<string, unknown>);
          const keys = Object.keys(target);
          target[keys[pick % keys.length]!] = replacement as never;
          return wellFormed(decodeEvent(JSON.stringify(copy)));
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('a valid record with one byte changed never throws', () => {
    fc.assert(
      fc.property(anyEvent, fc.nat(), fc.integer({ min: 0, max: 255 }), (event, at, byte) => {
        const bytes = Buffer.from(encodeEvent(event));
        bytes[at % bytes.length] = byte;
        return wellFormed(decodeEvent(bytes));
      }),
      { numRuns: 1000 },
    );
  });
});
