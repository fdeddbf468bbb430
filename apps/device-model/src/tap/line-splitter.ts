/**
 * Cuts a byte stream into lines at '\n'. A line longer than `maxLineBytes` is not kept in
 * memory: it is skipped up to its newline and reported with its length only, so a file with no
 * newline at all costs no more memory than one long line's cap.
 */
export type LineHandler = (line: Buffer | null, length: number) => void;

export class LineSplitter {
  private parts: Buffer[] = [];
  private partBytes = 0;
  private overlong = false;

  /** `onLine(bytes, length)` per line (without '\n'); `bytes` is null for an over-long line. */
  constructor(
    private readonly maxLineBytes: number,
    private readonly onLine: LineHandler,
  ) {}

  /** Bytes of an unfinished line held back until its newline (or `finish`). */
  get pendingBytes(): number {
    return this.partBytes;
  }

  /** The chunk must not be reused by the caller: complete lines may be views into it. */
  push(chunk: Buffer): void {
    let start = 0;
    for (;;) {
      const newline = chunk.indexOf(0x0a, start);
      if (newline === -1) {
        if (start < chunk.length) this.keep(chunk.subarray(start));
        return;
      }
      this.keep(chunk.subarray(start, newline));
      this.emit();
      start = newline + 1;
    }
  }

  /** End of input: an unterminated last line is still a line. Returns whether there was one. */
  finish(): boolean {
    if (this.partBytes === 0 && !this.overlong) return false;
    this.emit();
    return true;
  }

  private keep(bytes: Buffer): void {
    this.partBytes += bytes.length;
    if (this.overlong) return;
    if (this.partBytes > this.maxLineBytes) {
      this.overlong = true;
      this.parts = [];
      return;
    }
    if (bytes.length > 0) this.parts.push(bytes);
  }

  private emit(): void {
    const length = this.partBytes;
    if (this.overlong) this.onLine(null, length);
    else if (this.parts.length === 1) this.onLine(this.parts[0]!, length);
    else this.onLine(Buffer.concat(this.parts, length), length);
    this.parts = [];
    this.partBytes = 0;
    this.overlong = false;
  }
}
