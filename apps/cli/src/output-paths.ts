import { constants } from 'node:fs';
import { access, mkdir, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { InputError } from './input-file';
import { escapeForTerminal, isSystemError, systemErrorWords } from './output';

/**
 * Creates a directory and its missing parents, one level at a time from the nearest existing
 * one. Node's `mkdir({ recursive: true })` loops for ever under a parent that exists but takes
 * no new entries (`/proc/x`); here each level is created once and a refusal is reported in
 * plain words naming the flag.
 */
export async function ensureDirectory(path: string, flag: string): Promise<void> {
  const shown = escapeForTerminal(path);
  const missing: string[] = [];
  let current = resolve(path);
  for (;;) {
    const kind = await pathKind(current);
    if (kind === 'directory') break;
    if (kind === 'other')
      throw new InputError(
        `${flag} ${shown}: cannot create it: ${escapeForTerminal(current)} is a file, not a folder`,
      );
    missing.unshift(current);
    const parent = dirname(current);
    if (parent === current) break;
    current = parent;
  }
  for (const dir of missing) {
    try {
      await mkdir(dir);
    } catch (error) {
      if (isSystemError(error) && error.code === 'EEXIST' && (await pathKind(dir)) === 'directory')
        continue;
      // ENOENT from mkdir under an existing folder: a file system that takes no new entries.
      const why = !isSystemError(error)
        ? String(error)
        : error.code === 'ENOENT'
          ? 'the file system there takes no new folders'
          : systemErrorWords(error);
      throw new InputError(`${flag} ${shown}: cannot create ${escapeForTerminal(dir)}: ${why}`);
    }
  }
}

/**
 * Checks before a run that a file can be written at `path` at its end: its folder exists and
 * is writable, and the path is not a folder. (Results of a long run are not lost to a typo.)
 */
export async function checkWritableFile(path: string, flag: string): Promise<void> {
  const shown = escapeForTerminal(path);
  const folder = dirname(resolve(path));
  const folderKind = await pathKind(folder);
  if (folderKind === 'missing')
    throw new InputError(
      `${flag} ${shown}: the folder ${escapeForTerminal(folder)} does not exist`,
    );
  if (folderKind === 'other')
    throw new InputError(`${flag} ${shown}: ${escapeForTerminal(folder)} is not a folder`);
  if ((await pathKind(path)) === 'directory')
    throw new InputError(`${flag} ${shown}: is a folder, not a file`);
  try {
    await access(folder, constants.W_OK);
  } catch (error) {
    throw new InputError(
      `${flag} ${shown}: cannot write in ${escapeForTerminal(folder)}: ${isSystemError(error) ? systemErrorWords(error) : String(error)}`,
    );
  }
}

async function pathKind(path: string): Promise<'directory' | 'other' | 'missing'> {
  try {
    return (await stat(path)).isDirectory() ? 'directory' : 'other';
  } catch (error) {
    if (isSystemError(error) && (error.code === 'ENOENT' || error.code === 'ENOTDIR'))
      return 'missing';
    throw new InputError(
      `${escapeForTerminal(path)}: ${isSystemError(error) ? systemErrorWords(error) : String(error)}`,
    );
  }
}
