import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  logLineAccesses,
  recordedAccesses,
  type RecordedAccess,
  type StoredAccess,
  type StoredLogLine,
} from '@magicport/protocol';

/**
 * The stream as recordedAccesses first built it: every access and rebuilt byte keyed by its
 * place in seq order, then one stable sort. The merge that replaced it must give the same.
 */
function keyedReference(
  accesses: readonly StoredAccess[],
  lines: readonly StoredLogLine[],
): RecordedAccess[] {
  const keyed = accesses.map((a) => ({
    seq: a.seq,
    access: {
      op: a.op,
      port: a.port,
      size: a.size,
      t: a.t,
      ...(a.value !== null ? { value: a.value } : {}),
      ...(a.response !== null ? { response: a.response } : {}),
    } as RecordedAccess,
  }));
  const bySeq = [...accesses].sort((x, y) => x.seq - y.seq);
  let next = 0;
  for (const line of [...lines].sort((x, y) => x.seq - y.seq)) {
    let onRecord = false;
    while (next < bySeq.length && bySeq[next]!.seq < line.seq) {
      const a = bySeq[next]!;
      if (a.op === 'out' && a.port === 0x12 && a.size === 1) onRecord = true;
      next++;
    }
    if (onRecord) continue;
    const wire = line.trigger === null ? line.bytes : Uint8Array.of(...line.bytes, line.trigger);
    const bytes = logLineAccesses({
      wireBytes: wire.subarray(0, line.accessCount),
      firstUs: line.firstUs,
      lastUs: line.lastUs,
    });
    bytes.forEach((access, i) =>
      keyed.push({ seq: line.seq - 1 + (i + 1) / (bytes.length + 1), access }),
    );
  }
  keyed.sort((a, b) => a.seq - b.seq);
  return keyed.map((k) => k.access);
}

const access: fc.Arbitrary<StoredAccess> = fc.record({
  seq: fc.integer({ min: 0, max: 40 }),
  t: fc.integer({ min: 0, max: 1e6 }),
  op: fc.constantFrom('in' as const, 'out' as const),
  port: fc.constantFrom(0x10, 0x11, 0x12),
  size: fc.constantFrom(1, 2, 4),
  value: fc.option(fc.integer({ min: 0, max: 0xffff }), { nil: null }),
  response: fc.option(fc.integer({ min: 0, max: 0xffff }), { nil: null }),
});

const line: fc.Arbitrary<StoredLogLine> = fc
  .record({
    seq: fc.integer({ min: 0, max: 40 }),
    bytes: fc.uint8Array({ maxLength: 6 }),
    trigger: fc.option(fc.constantFrom(0x0a, 0x00), { nil: null }),
    firstUs: fc.integer({ min: 0, max: 1e6 }),
    span: fc.integer({ min: 0, max: 1000 }),
  })
  .map(({ span, ...l }) => ({
    ...l,
    lastUs: l.firstUs + span,
    accessCount: l.bytes.length + (l.trigger === null ? 0 : 1),
  }));

describe('recordedAccesses', () => {
  it('orders accesses and rebuilt log bytes as a stable sort by seq would, in any input order', () => {
    fc.assert(
      fc.property(fc.array(access, { maxLength: 25 }), fc.array(line, { maxLength: 8 }), (a, l) => {
        expect(recordedAccesses(a, l, false)).toEqual(keyedReference(a, l));
      }),
      { numRuns: 500 },
    );
  });

  it('with lines sharing a seq (a copy no read dropped) still gives the stable sort', () => {
    const twin: StoredLogLine = {
      seq: 5,
      bytes: Uint8Array.of(0x61, 0x62),
      trigger: 0x0a,
      accessCount: 3,
      firstUs: 100,
      lastUs: 120,
    };
    const stored: StoredAccess[] = [
      { seq: 6, t: 130, op: 'in', port: 0x10, size: 2, value: null, response: 0x49d2 },
      { seq: 2, t: 90, op: 'out', port: 0x10, size: 2, value: 3, response: null },
    ];
    const stream = recordedAccesses(stored, [twin, { ...twin, firstUs: 200 }], false);
    expect(stream).toEqual(keyedReference(stored, [twin, { ...twin, firstUs: 200 }]));
    // The two lines' bytes interleave by key: a, a, b, b, \n, \n.
    expect(stream.map((s) => s.value)).toEqual([3, 0x61, 0x61, 0x62, 0x62, 0x0a, 0x0a, undefined]);
  });
});
