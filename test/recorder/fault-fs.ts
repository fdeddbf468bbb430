/**
 * A journal file layer over a real directory that models what survives a power cut, and that
 * can refuse writes as a full disk does.
 *
 * Durability model (the weakest POSIX allows, as ext4 with delayed allocation gives it):
 * - a file's contents survive only as of its last fsync/fdatasync (`datasync`);
 * - a directory entry (a created, renamed, linked or deleted name) survives only once the
 *   directory itself is fsynced (`syncDir`).
 * `powerCut()` writes that surviving state into a fresh directory: what a machine that lost power
 * now would find on reboot. Everything runs on the real files meanwhile.
 */
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import {
  nodeJournalFs,
  type JournalFile,
  type JournalFs,
} from '../../apps/device-model/src/journal';

type Op = 'write' | 'datasync' | 'create' | 'rename' | 'syncDir' | 'read';

const fsError = (code: string, op: string, path: string) =>
  Object.assign(new Error(`${code}: injected fault, ${op} '${path}'`), { code });

export class FaultFs implements JournalFs {
  /** Inode -> contents as of its last fsync. */
  private readonly durableContent = new Map<number, Buffer>();
  /** Name -> inode of the directory's entries as of its last fsync. */
  private durableEntries = new Map<string, number>();
  /** When set, these operations fail with this errno code. */
  failing: { code: string; ops: Set<Op>; partial: boolean } | null = null;
  /** Operations that failed, e.g. `write ENOSPC`. */
  readonly faults: string[] = [];

  constructor(readonly dir: string) {
    // What is there already counts as on disk.
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      const ino = statSync(path).ino;
      this.durableEntries.set(name, ino);
      this.durableContent.set(ino, readFileSync(path));
    }
  }

  /**
   * Fail `ops` with `code` (ENOSPC, EIO) until `heal()`; with `partial`, a failing write first
   * writes its first buffer (a disk that fills up in the middle of a write).
   */
  fail(code: string, ops: Op[], partial = false): void {
    this.failing = { code, ops: new Set(ops), partial };
  }

  heal(): void {
    this.failing = null;
  }

  /** The directory as it would be found after losing power now (a new directory). */
  powerCut(): string {
    const out = mkdtempSync(join(tmpdir(), 'magicport-power-cut-'));
    for (const [name, ino] of this.durableEntries) {
      // The lock names a process of a boot that is gone (see the lock's boot id check).
      if (name === 'lock') continue;
      writeFileSync(join(out, name), this.durableContent.get(ino) ?? Buffer.alloc(0));
    }
    return out;
  }

  private check(op: Op, path: string): void {
    if (this.failing?.ops.has(op)) {
      this.faults.push(`${op} ${this.failing.code}`);
      throw fsError(this.failing.code, op, path);
    }
  }

  mkdir = (dir: string) => nodeJournalFs.mkdir(dir);
  readdir = (dir: string) => nodeJournalFs.readdir(dir);
  readFile = async (path: string) => {
    this.check('read', path);
    return nodeJournalFs.readFile(path);
  };
  unlink = (path: string) => nodeJournalFs.unlink(path);
  link = (existing: string, path: string) => nodeJournalFs.link(existing, path);

  rename = async (from: string, to: string) => {
    this.check('rename', to);
    await nodeJournalFs.rename(from, to);
  };

  syncDir = async (dir: string) => {
    this.check('syncDir', dir);
    await nodeJournalFs.syncDir(dir);
    if (dir !== this.dir) return;
    const entries = new Map<string, number>();
    for (const name of readdirSync(dir)) entries.set(name, statSync(join(dir, name)).ino);
    this.durableEntries = entries;
  };

  open = async (path: string, flags: 'r' | 'a' | 'w' | 'wx'): Promise<JournalFile> => {
    if (flags !== 'r') this.check('create', path);
    const handle = await nodeJournalFs.open(path, flags);
    const ino = (await handle.stat()).ino;
    const file: JournalFile = {
      read: handle.read.bind(handle) as JournalFile['read'],
      stat: handle.stat.bind(handle) as JournalFile['stat'],
      truncate: (len) => handle.truncate(len),
      close: () => handle.close(),
      writev: async (buffers: NodeJS.ArrayBufferView[], position?: number) => {
        if (this.failing?.partial && this.failing.ops.has('write') && buffers.length > 0)
          await handle.writev(buffers.slice(0, 1), position);
        this.check('write', path);
        return handle.writev(buffers, position);
      },
      writeFile: async (data: Parameters<JournalFile['writeFile']>[0]) => {
        this.check('write', path);
        return handle.writeFile(data);
      },
      datasync: async () => {
        this.check('datasync', path);
        await handle.datasync();
        this.durableContent.set(ino, readFileSync(join(dirname(path), basename(path))));
      },
    } as JournalFile;
    return file;
  };
}

/** Collects unhandled promise rejections from `start()` on; `stop()` returns them. */
export function watchUnhandledRejections() {
  const seen: unknown[] = [];
  const onRejection = (reason: unknown) => void seen.push(reason);
  process.on('unhandledRejection', onRejection);
  return {
    stop: () => {
      process.off('unhandledRejection', onRejection);
      return seen.map((r) => (r instanceof Error ? r.message : String(r)));
    },
  };
}
