import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { frameBound, framedRecords, writeFrame, type FrameEntry } from '@magicport/bus';

/** `entries` framed back to back into one buffer, as a journal slab holds them. */
function frames(entries: FrameEntry[]): Buffer {
  const slab = Buffer.alloc(entries.reduce((sum, e) => sum + frameBound(e), 0));
  let at = 0;
  for (const e of entries) at = writeFrame(slab, at, e);
  return slab.subarray(0, at);
}

describe('framed records', () => {
  it('lays a frame out as [length][crc32][key length][key][value], little-endian', () => {
    const frame = frames([{ key: 'vm-ü', value: '{"a":1}' }]);
    // key 'vm-ü' is 5 bytes of UTF-8, the value 7: payload 2 + 5 + 7 = 14.
    expect(frame.length).toBe(8 + 14);
    expect(frame.readUInt32LE(0)).toBe(14);
    expect(frame.readUInt32LE(4)).toBe(crc32(frame.subarray(8)));
    expect(frame.readUInt16LE(8)).toBe(5);
    expect(frame.toString('utf8', 10, 15)).toBe('vm-ü');
    expect(frame.toString('utf8', 15)).toBe('{"a":1}');
  });

  it('reads the records of several chunks in order, text and byte values alike, as views', () => {
    const first = frames([
      { key: 'vm-1', value: '{"seq":1}' },
      { key: 'gäst-🚀', value: Buffer.from([0, 1, 2, 255]) },
    ]);
    const second = frames([
      { key: '', value: Buffer.alloc(0) },
      { key: 'vm-1', value: 'ключ' },
    ]);
    const records = framedRecords({ chunks: [first, second], count: 4 });
    expect(records.map((r) => [r.key, r.value.toString('hex')])).toEqual([
      ['vm-1', Buffer.from('{"seq":1}').toString('hex')],
      ['gäst-🚀', '000102ff'],
      ['', ''],
      ['vm-1', Buffer.from('ключ').toString('hex')],
    ]);
    expect(records[1]!.value.buffer).toBe(first.buffer);
    expect(framedRecords({ chunks: [], count: 0 })).toEqual([]);
  });

  it('refuses a chunk that ends inside a frame, and a count the frames do not match', () => {
    const chunk = frames([
      { key: 'a', value: 'one' },
      { key: 'b', value: 'two' },
    ]);
    expect(() =>
      framedRecords({ chunks: [chunk.subarray(0, chunk.length - 1)], count: 2 }),
    ).toThrow(`framed records: a partial frame at byte 14 of a 27-byte chunk`);
    expect(() => framedRecords({ chunks: [chunk], count: 3 })).toThrow(
      'framed records: 2 frames where the batch says 3',
    );
  });

  it('refuses a key longer than a frame can say', () => {
    const entry = { key: 'k'.repeat(70_000), value: '' };
    expect(() => writeFrame(Buffer.alloc(frameBound(entry)), 0, entry)).toThrow(
      'record key too long: 70000 bytes',
    );
  });
});
