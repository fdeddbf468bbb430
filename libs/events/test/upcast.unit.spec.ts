import { Type } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import {
  EVENT_KINDS,
  createEventCodec,
  createEventRegistry,
  type EventVersionSpec,
} from '@magicport/events';
import { guestStamper } from './sample-events';

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
