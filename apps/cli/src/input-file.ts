import { readFile } from 'node:fs/promises';

/** A user-named input: a file path, or `-` for stdin. */
export interface InputText {
  /** How messages name it: the path, or "stdin". */
  source: string;
  text: string;
}

export async function readInput(path: string): Promise<InputText> {
  if (path === '-') return { source: 'stdin', text: await readStdin() };
  try {
    return { source: path, text: await readFile(path, 'utf8') };
  } catch (error) {
    throw new InputError(
      `${path}: cannot read (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
    );
  }
}

export function parseJson(input: InputText): unknown {
  try {
    return JSON.parse(input.text);
  } catch (error) {
    throw new InputError(`${input.source}: not valid JSON (${(error as Error).message})`);
  }
}

/** A problem with what the user gave us: reported on stderr without a stack trace. */
export class InputError extends Error {
  override name = 'InputError';
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
