import { blacklistKey, productNumber } from '@magicport/protocol';
import type { BlacklistCommand } from '../commands';
import type { BlacklistState } from '../view';
import type { ImportedXenstoreEntry, XenstoreEntry } from './xenstore-import';

/** The entries to export for a blacklist state: each key with its reason as the value. */
export function xenstoreEntriesOf(state: BlacklistState): XenstoreEntry[] {
  return [...state.entries.values()].map((e) => ({
    product: e.product,
    build: e.build,
    value: e.reason,
  }));
}

/**
 * The add commands an import makes: one per imported key not listed in `state` yet, the key's
 * value as its reason (or `fallbackReason` with the line number, for an empty value).
 */
export function xenstoreImportCommands(
  entries: readonly ImportedXenstoreEntry[],
  state: BlacklistState,
  options: { actor: string; fallbackReason?: string },
): BlacklistCommand[] {
  const fallback = options.fallbackReason ?? 'imported from xenstore';
  return (
    entries
      // An import holds registered products only, so every entry has its key.
      .filter((e) => !state.entries.has(blacklistKey(productNumber(e.product)!, e.build, 'spec')!))
      .map((e) => ({
        kind: 'add' as const,
        product: e.product,
        build: e.build,
        actor: options.actor,
        reason: e.value.trim() === '' ? `${fallback} (line ${e.line})` : e.value,
      }))
  );
}
