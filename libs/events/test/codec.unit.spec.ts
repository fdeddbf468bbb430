import { describe, expect, it } from 'vitest';
import {
  BLACKLIST_TOPIC,
  EVENTS_TOPIC,
  decodeEvent,
  encodeEvent,
  recordKeyOf,
  topicOf,
  type MagicportEvent,
} from '@magicport/events';
import { VM, sampleBlacklistEvents, sampleEvents, sampleGuestEvents } from './sample-events';

describe('codec round trip', () => {
  it.each(sampleEvents().map((event) => [event.type, event] as const))(
    '%s decodes to exactly the event that was encoded',
    (_type, event) => {
      const result = decodeEvent(encodeEvent(event));
      expect(result).toStrictEqual({ ok: true, event });
    },
  );

  it('covers every v1 event type', () => {
    expect(sampleEvents().map((event) => event.type)).toEqual([
      'dm.started',
      'port.access',
      'port.access',
      'port.access',
      'handshake.outcome',
      'guest.log',
      'dm.stopped',
      'blacklist.entry.added',
      'blacklist.entry.removed',
    ]);
  });

  it('decodes a string as well as bytes', () => {
    const [event] = sampleGuestEvents() as [MagicportEvent];
    expect(decodeEvent(encodeEvent(event).toString('utf8'))).toStrictEqual({ ok: true, event });
  });

  it('encodes compact UTF-8 JSON with the envelope first', () => {
    const access = sampleGuestEvents()[1]!;
    expect(encodeEvent(access).toString('utf8')).toBe(
      `{"id":"dm-7:1","type":"port.access","v":1,"time":"2026-03-01T12:00:00.000010Z","host":"host-a.example","dm":"dm-7","seq":1,"vm":"${VM}","domid":12,"boot":1,"data":{"op":"in","port":16,"size":2,"value":null,"response":18898}}`,
    );
  });
});

describe('undecodable records are values, not exceptions', () => {
  const access = encodeEvent(sampleGuestEvents()[1]!);

  it('reports truncated bytes as malformed JSON', () => {
    expect(decodeEvent(access.subarray(0, access.length - 1))).toEqual({
      ok: false,
      code: 'malformed-json',
      reason: expect.stringMatching(/^malformed JSON: Expected ',' or '}' after property value/),
    });
  });

  it('reports an empty record as malformed JSON', () => {
    expect(decodeEvent(Buffer.alloc(0))).toStrictEqual({
      ok: false,
      code: 'malformed-json',
      reason: 'malformed JSON: Unexpected end of JSON input',
    });
  });

  it('rejects bytes that are not UTF-8 before parsing', () => {
    const latin1 = Buffer.from('{"type":"\xe9"}', 'latin1');
    expect(decodeEvent(latin1)).toStrictEqual({
      ok: false,
      code: 'malformed-json',
      reason: 'record is not valid UTF-8',
    });
  });

  it.each([
    ['[]', 'an event must be a JSON object, got an array'],
    ['null', 'an event must be a JSON object, got null'],
    ['42', 'an event must be a JSON object, got 42'],
    ['{}', '/type: must be a string, got undefined'],
    ['{"type":"port.access"}', '/v: must be an integer >= 0, got undefined'],
    ['{"type":"port.access","v":1.5}', '/v: must be an integer >= 0, got 1.5'],
  ])('rejects %s as an invalid envelope', (json, reason) => {
    expect(decodeEvent(json)).toStrictEqual({ ok: false, code: 'invalid-envelope', reason });
  });

  it('names an unknown type', () => {
    const json = JSON.stringify({ ...sampleGuestEvents()[1], type: 'port.poke' });
    expect(decodeEvent(json)).toStrictEqual({
      ok: false,
      code: 'unknown-type',
      reason: 'unknown event type "port.poke"',
    });
  });

  it('names an unknown version and the known ones', () => {
    const json = JSON.stringify({ ...sampleGuestEvents()[1], v: 2 });
    expect(decodeEvent(json)).toStrictEqual({
      ok: false,
      code: 'unknown-version',
      reason: 'unknown version 2 of event type "port.access" (known: 1)',
    });
  });
});

describe('topics and record keys', () => {
  it('sends guest events to the events topic keyed by vm', () => {
    const event = sampleGuestEvents()[0]!;
    expect([topicOf(event), recordKeyOf(event)]).toEqual([EVENTS_TOPIC, VM]);
  });

  it('sends blacklist changes to the blacklist topic keyed by product/build', () => {
    const event = sampleBlacklistEvents()[0]!;
    expect([topicOf(event), recordKeyOf(event)]).toEqual([
      BLACKLIST_TOPIC,
      'xensource-windows/590080',
    ]);
  });
});
