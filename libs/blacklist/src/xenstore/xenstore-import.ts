import { BLACKLIST_ROOT, productNumber } from '@magicport/protocol';
import { terminalSafe, unsanitiseValue } from './xenstore-escape';

/** One blacklist key as xenstore holds it. */
export interface XenstoreEntry {
  /** Product name, as the key spells it. */
  product: string;
  /** Unsigned build (a key qemu-traditional wrote with `%d`, e.g. `-1`, reads as 4294967295). */
  build: number;
  /**
   * The key's value. qemu-dm only checks that the key exists; an export writes the entry's
   * reason here, so an import can take it back as the reason.
   */
  value: string;
}

export interface ImportedXenstoreEntry extends XenstoreEntry {
  /** 1-based line of the dump it came from. */
  line: number;
}

/** A line that names a blacklist key but cannot be one; `reason` is safe to print on a terminal. */
export interface XenstoreLineError {
  line: number;
  reason: string;
}

export interface XenstoreImport {
  entries: ImportedXenstoreEntry[];
  errors: XenstoreLineError[];
  /** Lines that are no blacklist key (blank, comments, warnings, other paths, parents). */
  skipped: number[];
}

export interface XenstoreImportOptions {
  /** The path `xenstore-ls` was given, for its indented tree form (default /mh/driver-blacklist). */
  treeRoot?: string;
}

/** `-f`: `/full/path = "value"`, optionally followed by `-p`'s permissions `  (n0,r1)`. */
const FULL_LINE = /^(\/\S*) = "(.*)"(\s+\([a-z0-9, ]*\))?\s*$/;
/** Tree form: one space of indent per level, `name = "value"`. */
const TREE_LINE = /^( *)([^\s/="#][^\s/=]*) = "(.*)"(\s+\([a-z0-9, ]*\))?\s*$/;
const ROOT_PARTS = BLACKLIST_ROOT.split('/').filter((p) => p !== '');

/**
 * Reads `xenstore-ls -f /mh/driver-blacklist` output (or `xenstore-ls`'s indented tree form)
 * into the blacklist keys it lists: one entry per `/mh/driver-blacklist/{product}/{build}` key,
 * an error per line that names a key under the blacklist root but cannot be one (line number and
 * reason), and the numbers of the lines that are something else. Never throws on input.
 */
export function parseXenstoreDump(
  text: string,
  options: XenstoreImportOptions = {},
): XenstoreImport {
  const result: XenstoreImport = { entries: [], errors: [], skipped: [] };
  const tree = new TreePaths(options.treeRoot ?? BLACKLIST_ROOT);
  const seen = new Map<string, number>();
  const lines = text.split(/\r?\n/);
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop(); // the final newline
  lines.forEach((raw, index) => {
    const line = index + 1;
    const parsed = parseLine(raw, tree);
    if (parsed === null) {
      result.skipped.push(line);
      return;
    }
    if ('error' in parsed) {
      result.errors.push({ line, reason: parsed.error });
      return;
    }
    const entry = entryOf(parsed.path, parsed.value);
    if (entry === null) result.skipped.push(line);
    else if ('error' in entry) result.errors.push({ line, reason: entry.error });
    else {
      const key = `${entry.product}/${entry.build}`;
      const first = seen.get(key);
      if (first !== undefined) {
        result.errors.push({ line, reason: `${key} is listed twice (first on line ${first})` });
      } else {
        seen.set(key, line);
        result.entries.push({ ...entry, line });
      }
    }
  });
  return result;
}

type Parsed = { path: string[]; value: string } | { error: string } | null;

function parseLine(raw: string, tree: TreePaths): Parsed {
  const full = FULL_LINE.exec(raw);
  if (full) return { path: full[1]!.split('/').filter((p) => p !== ''), value: full[2]! };
  if (
    raw.startsWith('/') &&
    underRoot(
      raw
        .split(/[\s=]/)[0]!
        .split('/')
        .filter((p) => p !== ''),
    )
  ) {
    return { error: `not a "path = \\"value\\"" line: ${terminalSafe(raw)}` };
  }
  const treeLine = TREE_LINE.exec(raw);
  if (!treeLine) return null;
  const path = tree.place(treeLine[1]!.length, treeLine[2]!);
  if (path === null) {
    return { error: `indented deeper than the line above allows: ${terminalSafe(raw)}` };
  }
  return { path, value: treeLine[3]! };
}

function underRoot(parts: string[]): boolean {
  return ROOT_PARTS.every((p, i) => parts[i] === p) && parts.length > ROOT_PARTS.length;
}

type EntryOf = XenstoreEntry | { error: string } | null;

function entryOf(parts: string[], escapedValue: string): EntryOf {
  if (!underRoot(parts)) return null; // another path, the root or a parent of it
  const [product, build, ...deeper] = parts.slice(ROOT_PARTS.length);
  const key = terminalSafe(`${BLACKLIST_ROOT}/${parts.slice(ROOT_PARTS.length).join('/')}`);
  if (productNumber(product!) === null) {
    return { error: `${key}: unknown product name "${terminalSafe(product!)}"` };
  }
  if (build === undefined) return null; // a product's parent key
  if (deeper.length > 0)
    return { error: `${key}: deeper than ${BLACKLIST_ROOT}/{product}/{build}` };
  const number = buildOf(build);
  if (typeof number === 'string') return { error: `${key}: ${number}` };
  return { product: product!, build: number, value: unsanitiseValue(escapedValue) };
}

/** Decimal, as qemu-dm prints it: unsigned (spec) or `%d` (qemu-traditional, negative past 2^31). */
function buildOf(text: string): number | string {
  if (!/^-?\d+$/.test(text)) return `build "${terminalSafe(text)}" is not a decimal number`;
  if (/^-?0\d/.test(text) || text === '-0') {
    return `build ${text} has a leading zero or sign: qemu-dm never looks such a key up`;
  }
  const n = Number(text);
  if (n < -0x80000000 || n > 0xffffffff) return `build ${text} does not fit 4 bytes`;
  return n >>> 0;
}

/** Rebuilds full paths from the tree form's indentation. */
class TreePaths {
  private base: string[] | null = null;
  private stack: string[] = [];

  constructor(private readonly root: string) {}

  place(indent: number, name: string): string[] | null {
    if (indent > this.stack.length) return null;
    if (this.base === null) this.base = this.baseFor(name);
    this.stack = [...this.stack.slice(0, indent), name];
    return [...this.base, ...this.stack];
  }

  /** `xenstore-ls`, `xenstore-ls /mh` or `xenstore-ls /mh/driver-blacklist`: told by the first name. */
  private baseFor(first: string): string[] {
    const index = ROOT_PARTS.indexOf(first);
    if (index >= 0) return ROOT_PARTS.slice(0, index);
    return this.root.split('/').filter((p) => p !== '');
  }
}
