import { Type, type Static } from '@sinclair/typebox';

/**
 * v1 payload of `blacklist.entry.added` / `blacklist.entry.removed` (topic
 * magicport.blacklist.v1). `key` is the xenstore path `/mh/driver-blacklist/{product}/{build}`
 * (build in unsigned decimal,
 * as `blacklistKey(product, build, 'spec')` of @magicport/protocol builds it); `revision` is the blacklist's revision after this change, 1 for the first.
 */
export const BlacklistEntryChangeSchema = Type.Object(
  {
    /** The product name as xenstore spells it, e.g. `linux`: one path component. */
    product: Type.String({
      pattern: '^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$',
      description: 'a product name: 1-64 of [A-Za-z0-9._+-], not starting with a symbol',
    }),
    build: Type.Integer({ minimum: 0, maximum: 0xffffffff }),
    key: Type.String({ maxLength: 128 }),
    /** Who made the change (the bearer token's subject, or the CLI user). */
    actor: Type.String({ minLength: 1, maxLength: 256 }),
    reason: Type.String({ maxLength: 4096 }),
    revision: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
  },
  { additionalProperties: false },
);

export type BlacklistEntryChange = Static<typeof BlacklistEntryChangeSchema>;
