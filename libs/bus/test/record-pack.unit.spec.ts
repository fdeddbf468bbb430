import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { packRecords, unpackRecords, type BusRecord } from '@magicport/bus';

describe('packRecords / unpackRecords', () => {
  it('round-trips empty values, null keys, headers and multi-byte UTF-8 exactly', () => {
    const records: BusRecord[] = [
      { key: 'vm-1', value: Buffer.from('{"seq":1}') },
      { key: null, value: Buffer.from([0, 1, 2, 255]) },
      { key: 'gäst-🚀-ключ', value: Buffer.alloc(0) },
      { key: '', value: Buffer.from('x'), headers: { trace: 'ü1', empty: '' } },
      { key: null, value: Buffer.alloc(0), headers: {} },
    ];
    const packed = packRecords(records);
    // Index of 1 + 5 x 3 Int32s, then the bytes: keys 4 + 0 + 19 + 0 + 0, values 9 + 4 + 0 + 1 + 0,
    // headers 26 + 2.
    expect(Buffer.byteLength('gäst-🚀-ключ')).toBe(19);
    expect(packed.byteLength).toBe(16 * 4 + 23 + 14 + 28);
    const back = unpackRecords(packed);
    expect(back).toStrictEqual(records);
    expect(back.map((r) => r.key)).toEqual(['vm-1', null, 'gäst-🚀-ключ', '', null]);
    expect(back[3]!.headers).toStrictEqual({ trace: 'ü1', empty: '' });
    expect('headers' in back[0]!).toBe(false);
  });

  it('unpacks values as views of the packed buffer, not copies', () => {
    const packed = packRecords([
      { key: 'a', value: Buffer.from('first') },
      { key: 'b', value: Buffer.from('second') },
    ]);
    const [a, b] = unpackRecords(packed);
    expect(a!.value.buffer).toBe(packed);
    expect(b!.value.buffer).toBe(packed);
    expect(b!.value.byteOffset).toBe(7 * 4 + 1 + 5 + 1);
    expect(b!.value.toString()).toBe('second');
  });

  it('packs no records into a bare count', () => {
    const packed = packRecords([]);
    expect(packed.byteLength).toBe(4);
    expect(unpackRecords(packed)).toEqual([]);
  });

  it('round-trips any records', () => {
    const record = fc
      .record(
        {
          key: fc.option(fc.string({ unit: 'grapheme' }), { nil: null }),
          value: fc.uint8Array({ maxLength: 600 }).map((bytes) => Buffer.from(bytes)),
          headers: fc.dictionary(fc.string(), fc.string({ unit: 'grapheme' }), {
            noNullPrototype: true,
          }),
        },
        { requiredKeys: ['key', 'value'] },
      )
      // fast-check builds prototype-less objects; records are plain ones.
      .map((r) => ({ ...r }));
    fc.assert(
      fc.property(fc.array(record, { maxLength: 40 }), (records) => {
        expect(unpackRecords(packRecords(records))).toStrictEqual(records);
      }),
    );
  });
});
