import { blacklistKey, PRODUCTS, productName, productNumber } from '@magicport/protocol';
import type { BlacklistEntryChange } from '@magicport/events';
import type { BlacklistState } from './view';

/** Longest actor and reason the event schema takes (BlacklistEntryChangeSchema). */
export const MAX_ACTOR_LENGTH = 256;
export const MAX_REASON_LENGTH = 4096;

export interface BlacklistEntryRequest {
  /**
   * The product: its name as xenstore spells it (`linux`), or its registered number (3, or a
   * decimal / `0x` hex string of it, as a command line gives it).
   */
  product: string | number;
  /** The 4-byte build number, 0 to 4294967295. */
  build: number;
  /** Why: required, shown in the history. */
  reason: string;
  /** Who: the bearer token's name (see `authenticate`) or the CLI user. */
  actor: string;
}

export type BlacklistCommand =
  ({ kind: 'add' } & BlacklistEntryRequest) | ({ kind: 'remove' } & BlacklistEntryRequest);

export type BlacklistChange =
  | { type: 'blacklist.entry.added'; data: BlacklistEntryChange }
  | { type: 'blacklist.entry.removed'; data: BlacklistEntryChange };

export type BlacklistCommandErrorCode =
  | 'unknown-product'
  | 'invalid-build'
  | 'invalid-reason'
  | 'invalid-actor'
  | 'already-listed'
  | 'not-listed';

/** Why a command changes nothing; `code` is stable (an API maps it to a status), `message` says what to do. */
export class BlacklistCommandError extends Error {
  override readonly name = 'BlacklistCommandError';
  constructor(
    readonly code: BlacklistCommandErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Decides the change a command makes to the blacklist at `state`, or throws why it makes none. */
export function decide(command: BlacklistCommand, state: BlacklistState): BlacklistChange {
  const entry = checkRequest(command);
  const key = blacklistKey(entry.number, command.build, 'spec')!;
  const listed = state.entries.has(key);
  if (command.kind === 'add' && listed) {
    throw new BlacklistCommandError('already-listed', `${key} is already blacklisted`);
  }
  if (command.kind === 'remove' && !listed) {
    throw new BlacklistCommandError('not-listed', `${key} is not blacklisted`);
  }
  const data: BlacklistEntryChange = {
    product: entry.name,
    build: command.build,
    key,
    actor: command.actor,
    reason: command.reason,
    revision: state.revision + 1,
  };
  switch (command.kind) {
    case 'add':
      return { type: 'blacklist.entry.added', data };
    case 'remove':
      return { type: 'blacklist.entry.removed', data };
    default: {
      const unknown: never = command;
      throw new Error(`unhandled blacklist command ${JSON.stringify(unknown)}`);
    }
  }
}

/** The registered product a command names, by name or number. */
export function resolveProduct(product: string | number): { name: string; number: number } {
  const number =
    typeof product === 'number'
      ? product
      : (productNumber(product) ??
        (/^(?:0x[0-9a-f]{1,4}|\d{1,5})$/i.test(product) ? Number(product) : null));
  const name = number === null ? null : productName(number);
  if (number === null || name === null) {
    const known = [...PRODUCTS].map(([n, s]) => `${s} (${n})`).join(', ');
    throw new BlacklistCommandError(
      'unknown-product',
      `unknown product ${JSON.stringify(product)}: use a registered name or number: ${known}`,
    );
  }
  return { name, number };
}

function checkRequest(request: BlacklistEntryRequest): { name: string; number: number } {
  const product = resolveProduct(request.product);
  const { build, reason, actor } = request;
  if (!Number.isInteger(build) || build < 0 || build > 0xffffffff) {
    throw new BlacklistCommandError(
      'invalid-build',
      `build must be an integer from 0 to 4294967295 (the 4-byte build number), got ${build}`,
    );
  }
  if (typeof reason !== 'string' || reason.trim() === '') {
    throw new BlacklistCommandError('invalid-reason', 'a blacklist change needs a reason: say why');
  }
  if (reason.length > MAX_REASON_LENGTH) {
    throw new BlacklistCommandError(
      'invalid-reason',
      `the reason is ${reason.length} characters long; at most ${MAX_REASON_LENGTH}`,
    );
  }
  if (typeof actor !== 'string' || actor.trim() === '' || actor.length > MAX_ACTOR_LENGTH) {
    throw new BlacklistCommandError(
      'invalid-actor',
      `a blacklist change must name its actor (1-${MAX_ACTOR_LENGTH} characters)`,
    );
  }
  return product;
}
