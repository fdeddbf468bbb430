/**
 * JSONEachRow rows of one insert, written as UTF-8 into one growing buffer as they are made.
 * Kept as an array of strings, every row (a tree of concatenated pieces until joined) stayed on
 * the JS heap until the insert and was copied by every young-generation GC meanwhile: with
 * 50k-row ranges that copying was a third of the ingest's CPU. In a buffer it is off the heap.
 */
export class JsonRowsBlock {
  private buffer: Buffer;
  private used = 0;
  private rows = 0;

  constructor(initialBytes = 64 * 1024) {
    this.buffer = Buffer.allocUnsafe(initialBytes);
  }

  /** Rows appended so far. */
  get count(): number {
    return this.rows;
  }

  /** One row (JSON text without a newline). */
  append(row: string): void {
    // UTF-8 takes at most 3 bytes per UTF-16 unit: room for that, without measuring the row.
    const needed = this.used + row.length * 3 + 1;
    if (needed > this.buffer.length) {
      const grown = Buffer.allocUnsafe(Math.max(needed, this.buffer.length * 2));
      this.buffer.copy(grown, 0, 0, this.used);
      this.buffer = grown;
    }
    if (this.rows > 0) this.buffer[this.used++] = 0x0a;
    this.used += this.buffer.write(row, this.used, 'utf8');
    this.rows++;
  }

  /**
   * The rows separated by newlines as UTF-8 (the insert's body): a view of the block's buffer,
   * not a copy, valid until the next append.
   */
  bytes(): Buffer {
    return this.buffer.subarray(0, this.used);
  }

  /** The same as one flat string. */
  text(): string {
    return this.buffer.toString('utf8', 0, this.used);
  }
}
