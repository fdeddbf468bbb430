import * as fs from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';

/**
 * The file operations the journal uses, as one seam: tests put a fault-injecting layer here (a
 * power cut that drops unsynced writes, a full disk). Production uses `nodeJournalFs`.
 */
export type JournalFile = Pick<
  FileHandle,
  'writev' | 'read' | 'datasync' | 'truncate' | 'close' | 'writeFile' | 'stat'
>;

export interface JournalFs {
  mkdir(dir: string): Promise<void>;
  open(path: string, flags: 'r' | 'a' | 'w' | 'wx'): Promise<JournalFile>;
  readdir(dir: string): Promise<string[]>;
  readFile(path: string): Promise<Buffer>;
  rename(from: string, to: string): Promise<void>;
  link(existing: string, path: string): Promise<void>;
  unlink(path: string): Promise<void>;
  /** fsync of a directory: makes the creation, rename or deletion of its entries durable. */
  syncDir(dir: string): Promise<void>;
}

export const nodeJournalFs: JournalFs = {
  mkdir: async (dir) => void (await fs.mkdir(dir, { recursive: true })),
  open: (path, flags) => fs.open(path, flags),
  readdir: (dir) => fs.readdir(dir),
  readFile: (path) => fs.readFile(path),
  rename: (from, to) => fs.rename(from, to),
  link: (existing, path) => fs.link(existing, path),
  unlink: (path) => fs.unlink(path),
  syncDir: async (dir) => {
    const handle = await fs.open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  },
};

/** The errno code of a file system error (`ENOSPC`, `EIO`, ...), if it has one. */
export function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** One line for a file system error: the code first, with what it means for the common ones. */
export function describeFsError(err: unknown): string {
  const code = errorCode(err);
  const message = err instanceof Error ? err.message : String(err);
  if (message.startsWith('journal ')) return message; // described already
  if (code === 'ENOSPC') return `ENOSPC, disk full (${message})`;
  if (code === 'EIO') return `EIO, disk I/O error (${message})`;
  if (code === 'EDQUOT') return `EDQUOT, disk quota exceeded (${message})`;
  return message;
}
