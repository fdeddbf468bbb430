import { FRAME_HEADER, type Journal } from './journal';
import { streamSeqOf, type StreamSeqReads } from './journal-stream-seq';

/** Next seq per event stream (device-model instance id). */
export type StreamSeqs = Map<string, number>;

/**
 * Where a stream's source had got to: everything of its input before `at` (opaque to the agent,
 * e.g. a file's identity, byte offset and line number) produced the stream's events below `seq`.
 * Stored with the acknowledgement only once those events are journaled durably.
 */
export interface SourcePosition {
  seq: number;
  at: unknown;
}

/** The source positions stored with the last acknowledgement. */
export function recoverPositions(journal: Journal): Map<string, SourcePosition> {
  const meta = journal.cursorMeta as { positions?: Record<string, SourcePosition> } | undefined;
  return new Map(Object.entries(meta?.positions ?? {}));
}

/** Largest read of the journal while recovering: the backlog is streamed, never held whole. */
export const RECOVERY_READ_BYTES = 4 * 1024 * 1024;

/**
 * What each stream has journaled: the seqs stored with the last acknowledgement, raised by
 * whatever undelivered records the journal still holds. Reads the backlog once, in reads of at
 * most `RECOVERY_READ_BYTES`, each record's stream and seq taken from its bytes (see
 * journal-stream-seq.ts); `reads` counts how.
 */
export async function recoverStreams(
  journal: Journal,
  reads?: StreamSeqReads,
): Promise<StreamSeqs> {
  const seqs: StreamSeqs = new Map();
  const meta = journal.cursorMeta as { streams?: Record<string, number> } | undefined;
  for (const [dm, next] of Object.entries(meta?.streams ?? {})) seqs.set(dm, next);
  let pos = journal.cursor;
  for (;;) {
    const { batch, next } = await journal.readFramed(pos, RECOVERY_READ_BYTES);
    if (batch.count === 0) return seqs;
    // The values straight from the frames (checked when read): no record object, no key string.
    for (const chunk of batch.chunks) {
      for (let at = 0; at < chunk.length;) {
        const end = at + FRAME_HEADER + chunk.readUInt32LE(at);
        const valueAt = at + FRAME_HEADER + 2 + chunk.readUInt16LE(at + FRAME_HEADER);
        const { dm, seq } = streamSeqOf(chunk.subarray(valueAt, end), reads);
        if (seq + 1 > (seqs.get(dm) ?? 0)) seqs.set(dm, seq + 1);
        at = end;
      }
    }
    pos = next;
  }
}
