import { addAbortSignal, type Readable } from 'node:stream';
import type { FileRead } from './file-follower';

/** The path that names standard input (`dm tap --file -`). */
export const STDIN_PATH = '-';

/**
 * Reads standard input to its end (or until `signal` aborts): a pipe has no rotation and no
 * position to return to, so there is nothing to follow but the stream itself.
 */
export async function* readStream(input: Readable, signal?: AbortSignal): AsyncGenerator<FileRead> {
  if (signal) addAbortSignal(signal, input);
  try {
    for await (const chunk of input) {
      yield { kind: 'data', chunk: Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string) };
      if (signal?.aborted) return;
    }
  } catch (error) {
    // Aborted while waiting for input: a stop, not a failure.
    if (signal?.aborted) return;
    throw error;
  }
}
