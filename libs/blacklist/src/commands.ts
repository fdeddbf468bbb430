import { PRODUCTS } from '@magicport/protocol';
import { blacklistKey, type BlacklistEntryChange } from '@magicport/events';
import type { BlacklistState } from './view';

export interface BlacklistChangeRequest {
  /** Product name as xenstore spells it (`linux`, `experimental`, ...). */
  product: string;
  build: number;
  actor: string;
  reason: string;
}

export type BlacklistCommand =
  ({ kind: 'add' } & BlacklistChangeRequest) | ({ kind: 'remove' } & BlacklistChangeRequest);

export type BlacklistChange =
  | { type: 'blacklist.entry.added'; data: BlacklistEntryChange }
  | { type: 'blacklist.entry.removed'; data: BlacklistEntryChange };

export class BlacklistCommandError extends Error {
  constructor(
    readonly code:
      'unknown-product' | 'invalid-build' | 'already-listed' | 'not-listed' | 'missing-actor',
    message: string,
  ) {
    super(message);
    this.name = 'BlacklistCommandError';
  }
}

const PRODUCT_NAMES = [...PRODUCTS.values()];

/** Decides the change a command makes to the current blacklist, or why it makes none. */
export function decide(command: BlacklistCommand, state: BlacklistState): BlacklistChange {
  if (!PRODUCT_NAMES.includes(command.product)) {
    throw new BlacklistCommandError(
      'unknown-product',
      `unknown product "${command.product}": the device model only looks up ${PRODUCT_NAMES.join(', ')}`,
    );
  }
  if (!Number.isInteger(command.build) || command.build < 0 || command.build > 0xffffffff) {
    throw new BlacklistCommandError(
      'invalid-build',
      `build must be an integer from 0 to 4294967295 (the 4-byte build number), got ${command.build}`,
    );
  }
  if (command.actor.trim() === '') {
    throw new BlacklistCommandError('missing-actor', 'a blacklist change must name its actor');
  }
  const key = blacklistKey(command.product, command.build);
  const listed = state.entries.has(key);
  if (command.kind === 'add' && listed) {
    throw new BlacklistCommandError('already-listed', `${key} is already blacklisted`);
  }
  if (command.kind === 'remove' && !listed) {
    throw new BlacklistCommandError('not-listed', `${key} is not blacklisted`);
  }
  const data: BlacklistEntryChange = {
    product: command.product,
    build: command.build,
    key,
    actor: command.actor,
    reason: command.reason,
    revision: state.revision + 1,
  };
  return command.kind === 'add'
    ? { type: 'blacklist.entry.added', data }
    : { type: 'blacklist.entry.removed', data };
}
