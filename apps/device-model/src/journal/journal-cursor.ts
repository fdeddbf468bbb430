/**
 * The cursor file: how far the journal is acknowledged (delivered), what the owner stored with
 * that acknowledgement, and the batch in flight.
 *
 * Invariants:
 * - Only a missing cursor file means a fresh journal. A cursor that cannot be read or parsed
 *   stops the agent: treating it as fresh would send the backlog again or, with the stream seqs
 *   gone, skip what the sources regenerate.
 * - The file is replaced atomically and durably (new contents fsynced, renamed, directory
 *   fsynced): after a power cut it is the old cursor or the new one, never empty or torn.
 */
import { join } from 'node:path';
import { describeFsError, errorCode, type JournalFs } from './journal-fs';

export interface JournalPosition {
  segment: number;
  offset: number;
}

/** A batch handed to the bus and not acknowledged yet, as persisted before its first send. */
export interface InFlightBatch {
  /** The batch is the journal's records in [from, next). */
  from: JournalPosition;
  next: JournalPosition;
  /** Wall-clock ms of the first send attempt: anything of it on the bus is stamped no earlier. */
  firstAttemptMs: number;
}

/**
 * Acknowledgement meta given as its JSON text: a large one (the agent's next seq of every stream)
 * need not be rebuilt as an object for each acknowledgement only to be serialized again.
 */
export class JsonText {
  constructor(readonly json: string) {}
}

export interface CursorFile extends JournalPosition {
  /** What the owner stored with the acknowledgement (e.g. each stream's next seq). */
  meta?: unknown;
  inFlight?: InFlightBatch;
}

export const CURSOR = 'cursor.json';

/** The cursor file exists but cannot be used; the message says what to do. */
export class JournalCursorError extends Error {
  override readonly name = 'JournalCursorError';
  constructor(
    readonly dir: string,
    reason: string,
  ) {
    super(
      `journal ${dir}: ${CURSOR} is unusable (${reason}). The agent cannot tell which records ` +
        `were delivered, so it does not start. Restore ${CURSOR} from a backup, or move the ` +
        `journal directory aside to start a fresh one (its undelivered records are then not sent ` +
        `and its streams start over).`,
    );
  }
}

const isPosition = (p: unknown): p is JournalPosition =>
  typeof p === 'object' &&
  p !== null &&
  Number.isSafeInteger((p as JournalPosition).segment) &&
  (p as JournalPosition).segment >= 1 &&
  Number.isSafeInteger((p as JournalPosition).offset) &&
  (p as JournalPosition).offset >= 0;

/** The cursor of journal `dir`; null for a fresh journal (no cursor file). */
export async function readCursor(fs: JournalFs, dir: string): Promise<CursorFile | null> {
  let text: string;
  try {
    text = (await fs.readFile(join(dir, CURSOR))).toString('utf8');
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return null;
    throw new JournalCursorError(dir, `cannot read it: ${describeFsError(err)}`);
  }
  let cursor: CursorFile;
  try {
    cursor = JSON.parse(text) as CursorFile;
  } catch (err) {
    throw new JournalCursorError(
      dir,
      `not valid JSON: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  if (!isPosition(cursor)) throw new JournalCursorError(dir, 'no valid segment and offset');
  const inFlight = cursor.inFlight;
  if (
    inFlight !== undefined &&
    (!isPosition(inFlight.from) ||
      !isPosition(inFlight.next) ||
      !Number.isFinite(inFlight.firstAttemptMs))
  )
    throw new JournalCursorError(dir, 'its in-flight batch is malformed');
  return cursor;
}

/** Replaces the cursor file of `dir` atomically and durably (see the invariants above). */
export async function writeCursor(fs: JournalFs, dir: string, file: CursorFile): Promise<void> {
  const tmp = join(dir, `${CURSOR}.tmp`);
  const handle = await fs.open(tmp, 'w');
  try {
    const { meta, ...rest } = file;
    await handle.writeFile(
      meta instanceof JsonText
        ? `${JSON.stringify(rest).slice(0, -1)},"meta":${meta.json}}`
        : JSON.stringify(file),
    );
    await handle.datasync();
  } finally {
    await handle.close();
  }
  await fs.rename(tmp, join(dir, CURSOR));
  await fs.syncDir(dir);
}
