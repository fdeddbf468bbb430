import { describe, expect, it } from 'vitest';
import { parseTraceLine } from '../src/tap/trace-line';

describe('parseTraceLine', () => {
  it.each([
    ['no prefix', 'cpu_in addr 0x10(w) value 18898', null],
    ['pid/tid prefix', '12423@1538597569.672527:cpu_in addr 0x10(w) value 18898', 1538597569672527],
    [
      'ISO-8601 prefix',
      '2025-07-21T18:43:28.089797Z cpu_in addr 0x10(w) value 18898',
      1753123408089797,
    ],
  ])('reads a cpu_in event with %s', (_style, line, timeUs) => {
    expect(parseTraceLine(line)).toEqual({
      kind: 'access',
      op: 'in',
      port: 0x10,
      size: 2,
      value: 0x49d2,
      timeUs,
    });
  });

  it('reads cpu_out of every width, with decimal values', () => {
    expect(parseTraceLine('cpu_out addr 0x12(w) value 65535')).toMatchObject({
      op: 'out',
      port: 0x12,
      size: 2,
      value: 0xffff,
    });
    expect(parseTraceLine('cpu_out addr 0x10(l) value 590080')).toMatchObject({
      size: 4,
      value: 590080,
    });
    expect(parseTraceLine('cpu_out addr 0x12(b) value 10\r')).toMatchObject({ size: 1, value: 10 });
  });

  it('reads the KVM/TCG memory_region_ops form on the xen-fixed region only', () => {
    expect(
      parseTraceLine(
        "memory_region_ops_read cpu 0 mr 0x55d0c0 addr 0x10 value 0x49d2 size 2 name 'xen-fixed'",
      ),
    ).toEqual({ kind: 'access', op: 'in', port: 0x10, size: 2, value: 0x49d2, timeUs: null });
    expect(
      parseTraceLine(
        "memory_region_ops_write cpu 1 mr 0x55d0c0 addr 0x3f8 value 0x41 size 1 name 'serial'",
      ),
    ).toEqual({ kind: 'other', timeUs: null });
  });

  it('reads guest log lines verbatim, keeping spaces', () => {
    expect(
      parseTraceLine('4242@1538597569.000001:xen_platform_log xen platform:  UNPLUG: DISKS '),
    ).toEqual({
      kind: 'guest-log',
      text: ' UNPLUG: DISKS ',
      timeUs: 1538597569000001,
    });
  });

  it('passes over other events and ports, and reports malformed ones', () => {
    expect(parseTraceLine('cpu_in addr 0x3f8(b) value 0')).toEqual({ kind: 'other', timeUs: null });
    expect(
      parseTraceLine(
        'cpu_ioreq_pio I/O=0x1 pio dir=1 df=0 ptr=0 port=0x10 data=0x0 count=1 size=2',
      ),
    ).toEqual({
      kind: 'other',
      timeUs: null,
    });
    expect(parseTraceLine('cpu_in addr 0x10(q) value 1')).toEqual({
      kind: 'unparseable',
      reason: 'malformed cpu_in event',
    });
    expect(parseTraceLine('cpu_out addr 0x10(b) value 256')).toEqual({
      kind: 'unparseable',
      reason: 'value 256 too large for size 1',
    });
  });

  it('reports timestamps that are not real or not representable, and binary junk', () => {
    const bad = {
      kind: 'unparseable',
      reason: 'timestamp outside 1970-2249 or not a real date',
      prefixed: true,
    };
    expect(parseTraceLine('2025-02-30T00:00:00.000000Z cpu_in addr 0x10(w) value 18898')).toEqual(
      bad,
    );
    expect(parseTraceLine('2250-01-01T00:00:00.000000Z cpu_in addr 0x10(w) value 18898')).toEqual(
      bad,
    );
    expect(parseTraceLine('1@99999999999999.000000:cpu_in addr 0x10(w) value 18898')).toEqual(bad);
    expect(parseTraceLine('\u0000\u0007ELF\u0001')).toEqual({
      kind: 'unparseable',
      reason: 'binary data',
    });
    // A malformed event behind a good prefix: the line had a time prefix (not a synthetic-time line).
    expect(parseTraceLine('12423@1538597569.672527:cpu_out addr 0x10(b) value 256')).toEqual({
      kind: 'unparseable',
      reason: 'value 256 too large for size 1',
      prefixed: true,
    });
    // Guest text is anything the guest wrote: never junk.
    expect(parseTraceLine('xen_platform_log xen platform: \u0001\u00ff')).toEqual({
      kind: 'guest-log',
      text: '\u0001\u00ff',
      timeUs: null,
    });
  });
});
