import { describe, expect, it } from 'vitest';
import type { ConsumedRecord } from '@magicport/bus';
import { DLQ_HEADERS } from '@magicport/events';
import { dlqRecord, routeRecord } from '../src/ingest/record-routing';

const record = (value: string, headers: Record<string, string> = {}): ConsumedRecord => ({
  key: 'k',
  value: Buffer.from(value),
  headers,
  offset: '42',
  timestamp: 0,
});

const event = {
  id: 'dm-1:0',
  type: 'port.access',
  v: 1,
  time: '2026-11-02T00:00:00.000000Z',
  host: 'h',
  dm: 'dm-1',
  seq: 0,
  vm: '00000000-0000-4000-8000-000000000000',
  domid: 1,
  boot: 0,
  data: { op: 'out', port: 16, size: 2, value: 1, response: null },
};

describe('routeRecord', () => {
  it('a valid event is an event', () => {
    const out = routeRecord(record(JSON.stringify(event)), 10_000);
    expect(out.kind).toBe('event');
  });

  it.each([
    ['not JSON', '{nope', 'malformed-json'],
    ['an array', '[]', 'invalid-envelope'],
    ['an unknown type', JSON.stringify({ ...event, type: 'x.y' }), 'unknown-type'],
    ['an unknown version', JSON.stringify({ ...event, v: 7 }), 'unknown-version'],
    [
      'a payload breach',
      JSON.stringify({ ...event, data: { ...event.data, port: 99 } }),
      'invalid-payload',
    ],
  ])('%s goes to the DLQ as %s', (_what, value, code) => {
    const out = routeRecord(record(value), 10_000);
    expect(out).toMatchObject({ kind: 'dlq', code });
  });

  it('a record over the size limit is oversize, whatever it holds', () => {
    const out = routeRecord(record(JSON.stringify(event)), 100);
    expect(out).toMatchObject({ kind: 'dlq', code: 'oversize' });
    expect(out.kind === 'dlq' && out.reason).toMatch(
      /^record is \d+ bytes, more than the 100 allowed$/,
    );
  });
});

describe('dlqRecord', () => {
  it('keeps the bytes and headers and names the error and the source', () => {
    const bad = routeRecord(record('{nope', { trace: 't1' }), 10_000);
    if (bad.kind !== 'dlq') throw new Error('expected a DLQ outcome');
    const out = dlqRecord(bad, { topic: 'magicport.events.v1', partition: 3 });
    expect(out.key).toBe('magicport.events.v1/3/42');
    expect(out.value.toString()).toBe('{nope');
    expect(out.headers).toEqual({
      trace: 't1',
      [DLQ_HEADERS.error]: bad.reason,
      [DLQ_HEADERS.errorCode]: 'malformed-json',
      [DLQ_HEADERS.sourceTopic]: 'magicport.events.v1',
      [DLQ_HEADERS.sourcePartition]: '3',
      [DLQ_HEADERS.sourceOffset]: '42',
    });
  });
});
