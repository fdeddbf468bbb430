import type { BusRecord } from './types';

/**
 * One publish's records as a single ArrayBuffer, so they cross to the publish worker as one
 * transfer instead of a structured clone of thousands of objects and Buffers.
 *
 * Layout: an Int32 index `[count, (keyBytes, valueBytes, headersBytes) x count]`, where -1 means
 * a null key or no headers, then each record's key (UTF-8), value and headers (JSON) bytes in
 * record order. Int32s are in the platform's byte order: both ends are the same process.
 */
export function packRecords(records: readonly BusRecord[]): ArrayBuffer {
  const indexInts = 1 + records.length * 3;
  const index = new Int32Array(indexInts);
  const headers: Array<string | undefined> = new Array(records.length);
  index[0] = records.length;
  let bytes = indexInts * 4;
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    const keyBytes = r.key === null ? -1 : Buffer.byteLength(r.key);
    const h = r.headers === undefined ? undefined : JSON.stringify(r.headers);
    const headerBytes = h === undefined ? -1 : Buffer.byteLength(h);
    headers[i] = h;
    index[1 + i * 3] = keyBytes;
    index[2 + i * 3] = r.value.length;
    index[3 + i * 3] = headerBytes;
    bytes += Math.max(keyBytes, 0) + r.value.length + Math.max(headerBytes, 0);
  }
  const packed = new ArrayBuffer(bytes);
  new Int32Array(packed, 0, indexInts).set(index);
  const out = Buffer.from(packed);
  let at = indexInts * 4;
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    if (r.key !== null) at += out.write(r.key, at, 'utf8');
    out.set(r.value, at);
    at += r.value.length;
    const h = headers[i];
    if (h !== undefined) at += out.write(h, at, 'utf8');
  }
  return packed;
}

/** The records of `packRecords`; each value is a view into `packed`, not a copy. */
export function unpackRecords(packed: ArrayBuffer): BusRecord[] {
  const count = new Int32Array(packed, 0, 1)[0]!;
  const index = new Int32Array(packed, 0, 1 + count * 3);
  const buf = Buffer.from(packed);
  const records: BusRecord[] = new Array(count);
  let at = index.byteLength;
  for (let i = 0; i < count; i++) {
    const keyBytes = index[1 + i * 3]!;
    const valueBytes = index[2 + i * 3]!;
    const headerBytes = index[3 + i * 3]!;
    let key: string | null = null;
    if (keyBytes >= 0) {
      key = buf.toString('utf8', at, at + keyBytes);
      at += keyBytes;
    }
    const value = Buffer.from(packed, at, valueBytes);
    at += valueBytes;
    if (headerBytes >= 0) {
      const headers = JSON.parse(buf.toString('utf8', at, at + headerBytes)) as Record<
        string,
        string
      >;
      at += headerBytes;
      records[i] = { key, value, headers };
    } else {
      records[i] = { key, value };
    }
  }
  return records;
}
