import { BLACKLIST_ROOT, blacklistKey, productNumber } from '@magicport/protocol';
import { sanitiseValue, shellQuote } from './xenstore-escape';
import type { XenstoreEntry } from './xenstore-import';

export interface XenstoreExportOptions {
  /**
   * Start by removing everything under /mh/driver-blacklist, so the host ends up with exactly
   * these entries (default true); false only adds.
   */
  replace?: boolean;
  /** Keys to remove (e.g. entries removed since the host's last export), after `replace`. */
  remove?: ReadonlyArray<Pick<XenstoreEntry, 'product' | 'build'>>;
  /** A first comment line, e.g. which revision this is; made one line of printable text. */
  comment?: string;
  /**
   * Whose keys to write (default qemu-traditional, the stock toolstack's qemu-dm): it prints
   * the build with `%d`, so a build of 2^31 or more is looked up, and written, negative. A
   * product it cannot blacklist still gets the spec key (harmless there, kept for a re-import).
   */
  profile?: 'spec' | 'qemu-traditional';
}

/**
 * A POSIX shell script of `xenstore-write` / `xenstore-rm` commands that gives a host running a
 * stock toolstack these blacklist keys, each with its value (the reason). Values are escaped
 * the way `xenstore-write` reads them, then single-quoted for the shell; a value starting with
 * `-` starts `\x2d` instead, so getopt never takes it for an option.
 */
export function exportXenstore(
  entries: readonly XenstoreEntry[],
  options: XenstoreExportOptions = {},
): string {
  const lines = ['#!/bin/sh', 'set -e'];
  if (options.comment !== undefined) lines.push(`# ${sanitiseValue(options.comment)}`);
  if (options.replace ?? true) {
    // xenstore-rm fails on a path that is not there: a host with no blacklist yet is fine.
    lines.push(`xenstore-rm ${shellQuote(BLACKLIST_ROOT)} 2>/dev/null || true`);
  }
  const profile = options.profile ?? 'qemu-traditional';
  for (const entry of options.remove ?? []) {
    lines.push(`xenstore-rm ${shellQuote(keyOf(entry, profile))} 2>/dev/null || true`);
  }
  for (const entry of entries) {
    const value = sanitiseValue(entry.value).replace(/^-/, '\\x2d');
    lines.push(`xenstore-write ${shellQuote(keyOf(entry, profile))} ${shellQuote(value)}`);
  }
  return `${lines.join('\n')}\n`;
}

function keyOf(
  entry: Pick<XenstoreEntry, 'product' | 'build'>,
  profile: 'spec' | 'qemu-traditional',
): string {
  const number = productNumber(entry.product);
  const key =
    number === null
      ? null
      : (blacklistKey(number, entry.build, profile) ?? blacklistKey(number, entry.build, 'spec'));
  if (key === null) throw new RangeError(`unknown product ${JSON.stringify(entry.product)}`);
  return key;
}
