import type { Journal } from './journal';

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

/**
 * What each stream has journaled: the seqs stored with the last acknowledgement, raised by
 * whatever undelivered records the journal still holds.
 */
export async function recoverStreams(journal: Journal): Promise<StreamSeqs> {
  const seqs: StreamSeqs = new Map();
  const meta = journal.cursorMeta as { streams?: Record<string, number> } | undefined;
  for (const [dm, next] of Object.entries(meta?.streams ?? {})) seqs.set(dm, next);
  let pos = journal.cursor;
  for (;;) {
    const { records, next } = await journal.read(pos, 4 * 1024 * 1024);
    if (records.length === 0) return seqs;
    for (const record of records) {
      const { dm, seq } = JSON.parse(record.value.toString('utf8')) as { dm: string; seq: number };
      if (seq + 1 > (seqs.get(dm) ?? 0)) seqs.set(dm, seq + 1);
    }
    pos = next;
  }
}
