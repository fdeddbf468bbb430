import { Type } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import {
  EVENT_KINDS,
  createEventCodec,
  createEventRegistry,
  decodeEvent,
  encodeEvent,
  type EventVersionSpec,
} from '@magicport/events';
import { guestStamper, sampleGuestEvents } from './sample-events';

/**
 * TEST FIXTURE, not a real schema: a hypothetical v0 of port.access that said `dir: 'r' | 'w'`
 * and carried one `data` number. It exists only to prove the upcast mechanism.
 */
const portAccessV0: EventVersionSpec = {
  data: Type.Object(
    {
      dir: Type.Union([Type.Literal('r'), Type.Literal('w')]),
      port: Type.Integer({ minimum: 0x10, maximum: 0x1f }),
      size: Type.Union([Type.Literal(1), Type.Literal(2), Type.Literal(4)]),
      data: Type.Integer({ minimum: 0, maximum: 0xffffffff }),
    },
    { additionalProperties: false },
  ),
  upcast: (old: { dir: 'r' | 'w'; port: number; size: 1 | 2 | 4; data: number }) => ({
    op: old.dir === 'r' ? 'in' : 'out',
    port: old.port,
    size: old.size,
    value: old.dir === 'w' ? old.data : null,
    response: old.dir === 'r' ? old.data : null,
  }),
};

const portAccessV1 = EVENT_KINDS.find((kind) => kind.type === 'port.access')!.versions[1]!;
const codec = createEventCodec(
  createEventRegistry([
    {
      type: 'port.access',
      envelope: 'guest',
      current: 1,
      versions: { 0: portAccessV0, 1: portAccessV1 },
    },
  ]),
);

function v0Record(dir: 'r' | 'w', data: number): string {
  const envelope = guestStamper(41).stamp('port.access', {
    op: 'in',
    port: 0x10,
    size: 2,
    value: null,
    response: 0,
  });
  return JSON.stringify({ ...envelope, v: 0, data: { dir, port: 0x10, size: 2, data } });
}

describe('upcasting on read', () => {
  it('reads a v0 read as the v1 event it means', () => {
    const result = codec.decode(v0Record('r', 0x49d2));
    expect(result).toStrictEqual({
      ok: true,
      event: {
        ...guestStamper(41).stamp('port.access', {
          op: 'in',
          port: 0x10,
          size: 2,
          value: null,
          response: 0x49d2,
        }),
      },
    });
  });

  it('reads a v0 write as a v1 out', () => {
    const result = codec.decode(v0Record('w', 3));
    expect(result.ok && result.event.data).toStrictEqual({
      op: 'out',
      port: 0x10,
      size: 2,
      value: 3,
      response: null,
    });
  });

  it('checks old data against the schema it was written with', () => {
    expect(codec.decode(v0Record('r', -1))).toStrictEqual({
      ok: false,
      code: 'invalid-payload',
      reason: '/data/data: Expected integer to be greater or equal to 0, got -1',
    });
  });

  it("runs the current version's rules on upcast data", () => {
    // v0 allowed a 2-byte read of 0x10000; v1 says it does not fit, so the record is rejected.
    expect(codec.decode(v0Record('r', 0x10000))).toStrictEqual({
      ok: false,
      code: 'invalid-payload',
      reason: '/data/response: 65536 does not fit a 2-byte access (after upcast from v0)',
    });
  });

  it('still rejects a version nobody wrote, naming the known ones', () => {
    const record = JSON.stringify({ ...JSON.parse(v0Record('r', 1)), v: 7 });
    expect(codec.decode(record)).toStrictEqual({
      ok: false,
      code: 'unknown-version',
      reason: 'unknown version 7 of event type "port.access" (known: 0, 1)',
    });
  });
});

describe('registry definition errors', () => {
  it('refuses an old version without an upcast', () => {
    const kind = {
      type: 't',
      envelope: 'guest' as const,
      current: 1,
      versions: { 0: { data: Type.Object({}) }, 1: portAccessV1 },
    };
    expect(() => createEventRegistry([kind])).toThrow('t v0 is not current (v1) and has no upcast');
  });

  it('refuses a type without its current version', () => {
    const kind = {
      type: 't',
      envelope: 'guest' as const,
      current: 2,
      versions: { 0: portAccessV0 },
    };
    expect(() => createEventRegistry([kind])).toThrow('t has no schema for its current version v2');
  });

  it('refuses a type registered twice', () => {
    const kind = {
      type: 't',
      envelope: 'guest' as const,
      current: 1,
      versions: { 1: portAccessV1 },
    };
    expect(() => createEventRegistry([kind, kind])).toThrow('event type t is registered twice');
  });
});

describe('handshake.outcome: v1 (no blacklist revision) and v2', () => {
  const v2 = () => sampleGuestEvents().find((e) => e.type === 'handshake.outcome')!;
  /** The same outcome as a v1 agent wrote it: no blacklistRevision field, `v: 1`. */
  function v1Json(): string {
    const { blacklistRevision: _omitted, ...data } = v2().data;
    return JSON.stringify({ ...v2(), v: 1, data });
  }

  it('producers write v2, with the revision', () => {
    const event = v2();
    expect([event.v, event.data.blacklistRevision]).toEqual([2, 4]);
    expect(encodeEvent(event).toString()).toContain('"type":"handshake.outcome","v":2,');
    expect(encodeEvent(event).toString()).toMatch(/,"accessCount":6,"blacklistRevision":4}}$/);
  });

  it('a v2 event round-trips exactly', () => {
    expect(decodeEvent(encodeEvent(v2()))).toStrictEqual({ ok: true, event: v2() });
  });

  it('a v1 event reads as v2 with the revision unknown (null)', () => {
    expect(decodeEvent(v1Json())).toStrictEqual({
      ok: true,
      event: { ...v2(), v: 2, data: { ...v2().data, blacklistRevision: null } },
    });
  });

  it('a v1 event is checked against v1: it never had a revision field', () => {
    const withRevision = JSON.stringify({ ...JSON.parse(v1Json()), data: v2().data });
    expect(decodeEvent(withRevision)).toStrictEqual({
      ok: false,
      code: 'invalid-payload',
      reason: '/data/blacklistRevision: is not allowed',
    });
  });

  it('a v2 event must say its revision, null when there was none', () => {
    const { blacklistRevision: _omitted, ...data } = v2().data;
    expect(decodeEvent(JSON.stringify({ ...v2(), data }))).toStrictEqual({
      ok: false,
      code: 'invalid-payload',
      reason: '/data/blacklistRevision: is required',
    });
    const negative = { ...v2(), data: { ...v2().data, blacklistRevision: -1 } };
    expect(decodeEvent(JSON.stringify(negative))).toMatchObject({
      ok: false,
      code: 'invalid-payload',
    });
  });

  it('a v3 nobody wrote yet goes the unknown-version (DLQ) way', () => {
    expect(decodeEvent(JSON.stringify({ ...v2(), v: 3 }))).toStrictEqual({
      ok: false,
      code: 'unknown-version',
      reason: 'unknown version 3 of event type "handshake.outcome" (known: 1, 2)',
    });
  });
});
