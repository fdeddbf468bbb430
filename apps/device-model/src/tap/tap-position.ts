/**
 * Where a tap resumes: the file position stored with the agent's acknowledgement (file identity,
 * byte offset after the last whole line handed to the recorder, its line number, and the end of
 * that line). A restarted tap continues there instead of re-reading the file and relying on it
 * to regenerate the same events; a file that is no longer the one the position was taken in
 * (replaced, truncated, rewritten) is read from its start as new input: never a silent skip.
 */
import type { Stats } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import type { SourcePosition } from '../stream-recovery';

export interface TapFilePosition {
  dev: number;
  ino: number;
  /** Byte offset after the last whole line handed to the recorder. */
  offset: number;
  /** Lines before `offset`. */
  line: number;
  /** The last up to 64 bytes of that line (latin1), to tell a rewritten file from the same one. */
  tail: string;
}

export interface TapPositionAgent {
  sourcePosition?(dm: string): SourcePosition | undefined;
  streamNextSeq?(dm: string): number;
}

export interface ResumePoint {
  offset: number;
  line: number;
  /** The instance's first seq; undefined: from 0, the stream's journaled events dropped again. */
  startSeq: number | undefined;
}

export const TAIL_BYTES = 64;

const isPosition = (at: unknown): at is TapFilePosition =>
  typeof at === 'object' &&
  at !== null &&
  ['dev', 'ino', 'offset', 'line'].every((k) => Number.isSafeInteger((at as never)[k])) &&
  typeof (at as TapFilePosition).tail === 'string';

export async function resumePoint(
  agent: TapPositionAgent,
  dm: string,
  path: string,
  log: (message: string) => void,
): Promise<ResumePoint> {
  const stored = agent.sourcePosition?.(dm);
  // A stream recorded before positions were stored: replay, dropping what it had (as before).
  if (!stored || !isPosition(stored.at)) return { offset: 0, line: 0, startSeq: undefined };
  const at = stored.at;
  if (await stillTheFile(path, at)) {
    if (at.offset > 0) log(`${path}: resuming at byte ${at.offset} (line ${at.line + 1})`);
    return { offset: at.offset, line: at.line, startSeq: stored.seq };
  }
  log(
    `${path}: not the file the stored position (byte ${at.offset}, line ${at.line}) was taken in (replaced, truncated or rewritten); reading it from its start as new input`,
  );
  return { offset: 0, line: 0, startSeq: agent.streamNextSeq?.(dm) ?? stored.seq };
}

/** Same inode, at least as long, and the line before the offset still ends as it did. */
async function stillTheFile(path: string, at: TapFilePosition): Promise<boolean> {
  const now = await stat(path).catch(() => null);
  if (!now || now.dev !== at.dev || now.ino !== at.ino || now.size < at.offset) return false;
  if (at.offset === 0) return true;
  const file = await open(path, 'r');
  try {
    const length = Math.min(at.offset, TAIL_BYTES + 2);
    const before = Buffer.alloc(length);
    await file.read(before, 0, length, at.offset - length);
    const text = before.toString('latin1').replace(/\r?\n$/, '');
    return text.endsWith(at.tail);
  } finally {
    await file.close();
  }
}

/** Tells the agent the tap's position after each chunk: the end of its last whole line. */
export class PositionMarks {
  private dev: number;
  private ino: number;
  /** Bytes of the current file read, from its start. */
  private read_ = 0;
  private lines = 0;
  private tail = '';

  constructor(
    private readonly agent: { markSourcePosition?(dm: string, at: unknown): void },
    private readonly dm: string,
    private readonly path: string,
    file: Stats,
    start: ResumePoint,
  ) {
    this.dev = file.dev;
    this.ino = file.ino;
    this.read_ = start.offset;
    this.lines = start.line;
  }

  /** A whole line was handed to the recorder. */
  line(bytes: Buffer | null, length: number): void {
    this.lines++;
    this.tail = bytes ? bytes.toString('latin1', Math.max(0, length - TAIL_BYTES), length) : '';
  }

  /** `bytes` more were read; `pending` of all read are an unfinished line. */
  read(bytes: number, pending: number): void {
    this.read_ += bytes;
    const at: TapFilePosition = {
      dev: this.dev,
      ino: this.ino,
      offset: this.read_ - pending,
      line: this.lines,
      tail: this.tail.replace(/\r$/, ''),
    };
    this.agent.markSourcePosition?.(this.dm, at);
  }

  /** The path now names a new (or truncated) file, read from its start. */
  async newFile(): Promise<void> {
    const now = await stat(this.path).catch(() => null);
    if (now) {
      this.dev = now.dev;
      this.ino = now.ino;
    }
    this.read_ = 0;
    this.lines = 0;
    this.tail = '';
  }
}
