import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkEvent } from '@magicport/events';
import {
  RAW_COLUMNS,
  fromClickHouseTime,
  rawRow,
  rawRowJson,
  rawTableOf,
  toClickHouseTime,
} from '@magicport/store';
import { anyEvent } from '../../events/test/event-arbitraries';
import { SOURCE, VM_A, sampleEvents } from './store-samples';

const envelope = (seq: number, time: string) => ({
  dm: 'dm-7',
  seq,
  vm: VM_A,
  domid: 12,
  boot: 1,
  host: 'host-a.example',
  time,
});
const source = { _topic: 'magicport.events.v1', _partition: 3, _offset: '9007199254740993' };

/** The exact row of every sample event, keys in column order. */
const EXPECTED: object[] = [
  {
    event: 'dm.started',
    ...envelope(0, '2026-03-01 12:00:00.000000'),
    profile: 'spec',
    enforce_blacklist: false,
    agent_version: '0.1.0',
    source: 'simulated',
    log_byte_accesses: false,
    idle_gap_ms: 5000,
    stop_reason: '',
    stop_detail: null,
    ...source,
  },
  {
    ...envelope(1, '2026-03-01 12:00:00.000005'),
    op: 'in',
    port: 16,
    size: 2,
    value: null,
    response: 0x49d2,
    ...source,
  },
  {
    ...envelope(2, '2026-03-01 12:00:00.000010'),
    op: 'out',
    port: 18,
    size: 2,
    value: 3,
    response: null,
    ...source,
  },
  {
    ...envelope(3, '2026-03-01 12:00:00.000015'),
    op: 'out',
    port: 16,
    size: 4,
    value: 0xffffffff,
    response: null,
    ...source,
  },
  {
    ...envelope(4, '2026-03-01 12:00:00.000020'),
    handshake_id: 'dm-7:1',
    result: 'unplugged',
    protocol_version: 1,
    product_number: 3,
    product_name: 'linux',
    build: 1,
    blacklisted: false,
    blacklist_key: null,
    blacklist_revision: null,
    mask: 3,
    mask_writes: [1, 2],
    unplug_ide_scsi_disks: true,
    unplug_nics: true,
    unplug_aux_ide_disks: false,
    unplug_nvme_disks: false,
    unplug_applied: true,
    violations: ['log-before-magic'],
    start_time: '2026-03-01 12:00:00.000010',
    end_time: '2026-03-01 12:00:00.000020',
    access_count: 6,
    ...source,
  },
  {
    ...envelope(5, '2026-03-01 12:00:00.000025'),
    text: 'xen|Init: version 9.1.0\u240d\ufffd',
    bytes_base64: Buffer.from('xen|Init: version 9.1.0\r\u00ff', 'latin1').toString('base64'),
    truncated: false,
    trigger: 10,
    dropped_before: 2,
    throttled_ms: 0.390625,
    access_count: 26,
    first_time: '2026-03-01 12:00:00.000021',
    last_time: '2026-03-01 12:00:00.000029',
    handshake_id: null,
    attribution: 'guest',
    ...source,
  },
  {
    event: 'dm.stopped',
    ...envelope(6, '2026-03-01 12:00:00.000030'),
    profile: '',
    enforce_blacklist: false,
    agent_version: '',
    source: '',
    log_byte_accesses: false,
    idle_gap_ms: 0,
    stop_reason: 'error',
    stop_detail: 'qemu "died"\n',
    ...source,
  },
  {
    change: 'added',
    dm: 'blacklist',
    seq: 0,
    host: 'api-1',
    time: '2026-03-01 12:00:01.000000',
    revision: 1,
    product: 'xensource-windows',
    build: 590080,
    key: '/mh/driver-blacklist/xensource-windows/590080',
    actor: 'alice',
    reason: 'BSOD on resume (ticket 42)',
    ...source,
  },
  {
    change: 'removed',
    dm: 'blacklist',
    seq: 1,
    host: 'api-1',
    time: '2026-03-01 12:00:02.000000',
    revision: 2,
    product: 'xensource-windows',
    build: 590080,
    key: '/mh/driver-blacklist/xensource-windows/590080',
    actor: 'alice',
    reason: 'fixed in 590081',
    ...source,
  },
];

describe('rawRow', () => {
  it('converts every event type to its exact row, keys in the table column order', () => {
    const events = sampleEvents();
    for (const event of events) expect(checkEvent(event)).toMatchObject({ ok: true });
    const rows = events.map((e) => rawRow(e, SOURCE));
    expect(rows).toStrictEqual(EXPECTED);
    events.forEach((event, i) => {
      expect(Object.keys(rows[i]!)).toEqual(RAW_COLUMNS[rawTableOf(event.type)]);
    });
  });

  it('carries the v2 blacklist revision of a handshake outcome', () => {
    const event = sampleEvents()[4]!;
    const v2 = {
      ...event,
      data: { ...event.data, blacklistRevision: 7 },
    } as unknown as typeof event;
    expect(rawRow(v2, SOURCE)).toMatchObject({ blacklist_revision: 7 });
  });

  it("carries a guest.log line's attribution: absent is guest, unattributed kept", () => {
    const event = sampleEvents()[5]!;
    expect(event.type).toBe('guest.log');
    const marked = {
      ...event,
      data: { ...event.data, attribution: 'unattributed' },
    } as typeof event;
    const guest = { ...event, data: { ...event.data, attribution: 'guest' } } as typeof event;
    expect(rawRow(marked, SOURCE)).toMatchObject({ attribution: 'unattributed' });
    expect(rawRow(guest, SOURCE)).toMatchObject({ attribution: 'guest' });
    expect(rawRow(event, SOURCE)).toMatchObject({ attribution: 'guest' });
    for (const e of [marked, guest, event]) {
      expect(checkEvent(e)).toMatchObject({ ok: true });
      expect(rawRowJson(e, SOURCE)).toBe(JSON.stringify(rawRow(e, SOURCE)));
    }
    expect(JSON.parse(rawRowJson(marked, SOURCE))).toMatchObject({ attribution: 'unattributed' });
  });

  it('maps each type to its raw table', () => {
    expect(sampleEvents().map((e) => rawTableOf(e.type))).toEqual([
      'dm_instances',
      'port_accesses',
      'port_accesses',
      'port_accesses',
      'handshakes',
      'guest_logs',
      'dm_instances',
      'blacklist_changes',
      'blacklist_changes',
    ]);
    expect(() => rawTableOf('nope' as never)).toThrow('no raw table for event type nope');
  });
});

describe('rawRowJson', () => {
  it('is JSON.stringify of rawRow for the samples', () => {
    for (const event of sampleEvents()) {
      expect(rawRowJson(event, SOURCE)).toBe(JSON.stringify(rawRow(event, SOURCE)));
    }
  });

  it('is JSON.stringify of rawRow for any valid event and source', () => {
    const sourceArb = fc.record({
      topic: fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }),
      partition: fc.integer({ min: 0, max: 10_000 }),
      offset: fc.bigInt({ min: 0n, max: 2n ** 63n - 1n }).map(String),
    });
    fc.assert(
      fc.property(anyEvent, sourceArb, (event, source) => {
        expect(rawRowJson(event, source)).toBe(JSON.stringify(rawRow(event, source)));
      }),
      { numRuns: 2000 },
    );
  });

  it('does not reuse a stream head when the envelope of a dm changes', () => {
    const [, access] = sampleEvents();
    const first = rawRowJson(access!, SOURCE);
    const moved = { ...access!, host: 'host-"b"', boot: 2 } as typeof access;
    expect(rawRowJson(moved!, SOURCE)).toBe(JSON.stringify(rawRow(moved!, SOURCE)));
    expect(rawRowJson(access!, SOURCE)).toBe(first);
  });
});

describe('ClickHouse time text', () => {
  it('converts event times both ways', () => {
    expect(toClickHouseTime('2026-03-01T12:00:00.000001Z')).toBe('2026-03-01 12:00:00.000001');
    expect(fromClickHouseTime('2026-03-01 12:00:00.000001')).toBe('2026-03-01T12:00:00.000001Z');
    expect(() => fromClickHouseTime('2026-03-01 12:00:00')).toThrow(/DateTime64\(6\)/);
  });
});
