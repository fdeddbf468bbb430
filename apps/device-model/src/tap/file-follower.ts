import { open, stat, type FileHandle } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

export interface FollowOptions {
  /** Keep reading as the file grows, across rotation, until `signal` aborts. */
  follow: boolean;
  /** How often a followed file is checked for growth and rotation. */
  pollMs: number;
  chunkBytes: number;
  signal?: AbortSignal;
  /** Start reading the file at this byte offset (a resumed tap). */
  startAt?: number;
}

/** What reading produced: bytes, or news that the path now names a new or truncated file. */
export type FileRead =
  { kind: 'data'; chunk: Buffer } | { kind: 'rotated' } | { kind: 'truncated' };

/** A path the tap cannot read: reported as it is, without a stack trace. */
export class TapInputError extends Error {
  override name = 'TapInputError';
}

/** The bytes before the read position, to notice a file rewritten in place (copytruncate). */
const TAIL_BYTES = 64;

/**
 * Reads a file from its start. Without `follow` it ends at end of file. With `follow` it polls:
 * - rename rotation (the path names another inode): the rest of the old file is read first,
 *   then the new file from its start;
 * - copytruncate (same inode, now shorter, or no longer holding the bytes last read): the file
 *   is read again from its start. Lines written between our last read and the truncation are
 *   only in the copy: no reader of the original can see them.
 */
export async function* followFile(path: string, options: FollowOptions): AsyncGenerator<FileRead> {
  let file = await openFile(path);
  let ino = (await file.stat()).ino;
  let pos = options.startAt ?? 0;
  let tail: Buffer = pos > 0 ? await bytesBefore(file, pos) : Buffer.alloc(0);
  const readToEnd = async function* () {
    for (
      let chunk = await readAt(file, pos, options);
      chunk;
      chunk = await readAt(file, pos, options)
    ) {
      pos += chunk.length;
      tail = lastBytes(tail, chunk);
      yield { kind: 'data', chunk } as const;
      if (options.signal?.aborted) return;
    }
  };
  try {
    for (;;) {
      yield* readToEnd();
      if (!options.follow || options.signal?.aborted) return;
      await sleep(options.pollMs, undefined, { signal: options.signal }).catch(() => undefined);
      if (options.signal?.aborted) return;
      // Checked before reading on: bytes of a rewritten file must not pass for new lines.
      const now = await stat(path).catch(() => null);
      if (now && now.ino !== ino) {
        // Rotated by rename: what was written to the old file since the last read comes first.
        yield* readToEnd();
        if (options.signal?.aborted) return;
        await file.close();
        file = await openFile(path);
        ino = (await file.stat()).ino;
        pos = 0;
        tail = Buffer.alloc(0);
        yield { kind: 'rotated' };
      } else if (now && (now.size < pos || !(await stillHolds(file, pos, tail)))) {
        pos = 0;
        tail = Buffer.alloc(0);
        yield { kind: 'truncated' };
      }
    }
  } finally {
    await file.close().catch(() => undefined);
  }
}

async function openFile(path: string): Promise<FileHandle> {
  try {
    const file = await open(path, 'r');
    if ((await file.stat()).isDirectory()) {
      await file.close();
      throw new TapInputError(`${path}: is a directory, not a log file`);
    }
    return file;
  } catch (error) {
    if (error instanceof TapInputError) throw error;
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new TapInputError(`${path}: cannot open (${code})`);
  }
}

/** A fresh buffer per read: the line splitter keeps views into it. */
async function readAt(
  file: FileHandle,
  pos: number,
  options: FollowOptions,
): Promise<Buffer | null> {
  const buffer = Buffer.allocUnsafe(options.chunkBytes);
  const { bytesRead } = await file.read(buffer, 0, buffer.length, pos);
  return bytesRead === 0 ? null : buffer.subarray(0, bytesRead);
}

async function stillHolds(file: FileHandle, pos: number, tail: Buffer): Promise<boolean> {
  if (tail.length === 0) return true;
  const now = Buffer.alloc(tail.length);
  const { bytesRead } = await file.read(now, 0, tail.length, pos - tail.length);
  return bytesRead === tail.length && now.equals(tail);
}

function lastBytes(previous: Buffer, chunk: Buffer): Buffer {
  if (chunk.length >= TAIL_BYTES) return Buffer.from(chunk.subarray(chunk.length - TAIL_BYTES));
  return Buffer.concat([previous, chunk]).subarray(-TAIL_BYTES);
}

async function bytesBefore(file: FileHandle, pos: number): Promise<Buffer> {
  const length = Math.min(pos, TAIL_BYTES);
  const buffer = Buffer.alloc(length);
  const { bytesRead } = await file.read(buffer, 0, length, pos - length);
  return buffer.subarray(0, bytesRead);
}
