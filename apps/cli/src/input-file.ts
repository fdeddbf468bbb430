import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { parse as parseLossless } from 'lossless-json';
import { JsonNumberText } from '@magicport/protocol';
import { escapeForTerminal, isSystemError, systemErrorWords } from './output';

/** A user-named input: a file path, or `-` for stdin. */
export interface InputText {
  /** How messages name it: the path, or "stdin". */
  source: string;
  text: string;
}

/**
 * Inputs are read whole; past this size the user gave the wrong file (`/dev/zero`, a disk
 * image), and V8 could not hold the string anyway (its limit is ~512 MiB).
 */
export const MAX_INPUT_BYTES = 256 * 1024 * 1024;

export async function readInput(
  path: string,
  maxBytes: number = MAX_INPUT_BYTES,
): Promise<InputText> {
  const source = path === '-' ? 'stdin' : escapeForTerminal(path);
  const stream = path === '-' ? process.stdin : createReadStream(path);
  try {
    return { source, text: await readLimited(stream, maxBytes, source) };
  } catch (error) {
    if (error instanceof InputError) throw error;
    if (isSystemError(error)) throw new InputError(`${source}: ${systemErrorWords(error)}`);
    throw error;
  } finally {
    if (stream !== process.stdin) stream.destroy();
  }
}

/** Parses JSON, with a UTF-8 byte order mark allowed (editors on Windows write one). */
export function parseJson(input: InputText): unknown {
  const text = input.text.charCodeAt(0) === 0xfeff ? input.text.slice(1) : input.text;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    // V8's message quotes the input around the error: escape it.
    throw new InputError(
      `${input.source}: not valid JSON (${escapeForTerminal((error as Error).message)})`,
    );
  }
  // Rare: a number a double cannot hold as written. Parse again keeping its text, so that the
  // message about it shows 1e400 (not null) and a 23-digit integer as typed (not 1e+23).
  if (!hasInexactNumber(value)) return value;
  return parseLossless(text, undefined, (raw) => {
    const n = Number(raw);
    return isExact(n) ? n : new JsonNumberText(raw);
  });
}

/** A problem with what the user gave us: reported on stderr without a stack trace. */
export class InputError extends Error {
  override name = 'InputError';
}

function isExact(n: number): boolean {
  return Number.isFinite(n) && (!Number.isInteger(n) || Number.isSafeInteger(n));
}

function hasInexactNumber(value: unknown): boolean {
  if (typeof value === 'number') return !isExact(value);
  if (Array.isArray(value)) return value.some(hasInexactNumber);
  if (typeof value === 'object' && value !== null)
    return Object.values(value).some(hasInexactNumber);
  return false;
}

async function readLimited(stream: Readable, maxBytes: number, source: string): Promise<string> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream) {
    total += (chunk as Buffer).length;
    if (total > maxBytes)
      throw new InputError(
        `${source}: larger than the ${Math.round(maxBytes / 1024 / 1024)} MiB input limit`,
      );
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
