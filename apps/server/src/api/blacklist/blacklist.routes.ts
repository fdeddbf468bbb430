import { Type } from '@sinclair/typebox';
import { Nullable, pageOf, route } from '../api-route';
import { P } from '../api-params';

const Entry = Type.Object({
  product: Type.String(),
  build: Type.Integer(),
  key: Type.String(),
  addedBy: Type.String(),
  reason: Type.String(),
  revision: Type.Integer(),
  addedAt: Type.String(),
});

const Change = Type.Object({
  revision: Type.Integer(),
  action: Type.Union([Type.Literal('added'), Type.Literal('removed')]),
  product: Type.String(),
  build: Type.Integer(),
  key: Type.String(),
  actor: Type.String(),
  reason: Type.String(),
  time: Type.String(),
  eventId: Type.String(),
});

const reason = P.text(4096, 'why: required, kept in the history');
const EntryRequest = Type.Object(
  {
    product: Type.Union([P.product, Type.Integer({ minimum: 0, maximum: 65535 })], {
      description: 'product name or number',
    }),
    build: P.build,
    reason,
  },
  { additionalProperties: false },
);

const ChangeResult = Type.Object({
  revision: Type.Integer(),
  change: Change,
  entries: Type.Array(Entry),
});

export const BLACKLIST_LIST = route({
  method: 'get',
  path: '/blacklist',
  tag: 'blacklist',
  auth: 'read',
  summary: 'The blacklist now: its revision and entries',
  query: Type.Object({}, { additionalProperties: false }),
  response: Type.Object({ revision: Type.Integer(), entries: Type.Array(Entry) }),
});

export const BLACKLIST_ADD = route({
  method: 'post',
  path: '/blacklist',
  tag: 'blacklist',
  auth: 'write',
  status: 201,
  summary: 'Blacklist a product build (bearer token; the token name is recorded as the actor)',
  query: Type.Object({}, { additionalProperties: false }),
  body: EntryRequest,
  response: ChangeResult,
});

export const BLACKLIST_REMOVE = route({
  method: 'delete',
  path: '/blacklist/{product}/{build}',
  tag: 'blacklist',
  auth: 'write',
  summary: 'Remove a blacklist entry (bearer token; reason required)',
  pathParams: Type.Object({ product: P.product, build: P.build }),
  query: Type.Object({ reason }, { additionalProperties: false }),
  response: ChangeResult,
});

export const BLACKLIST_HISTORY = route({
  method: 'get',
  path: '/blacklist/history',
  tag: 'blacklist',
  auth: 'read',
  summary:
    'Every applied change (who, when, why, revision), and optionally the list as of a revision',
  query: Type.Object({ asOf: Type.Optional(P.revision) }, { additionalProperties: false }),
  response: Type.Object({
    revision: Type.Integer(),
    changes: Type.Array(Change),
    voided: Type.Integer({ description: 'appends that lost a revision race (never applied)' }),
    asOf: Nullable(Type.Object({ revision: Type.Integer(), entries: Type.Array(Entry) })),
  }),
});

const HitResult = Type.Union([Type.Literal('blacklisted'), Type.Literal('blacklist-ignored')], {
  description: 'blacklisted (honoured) or blacklist-ignored',
});

export const BLACKLIST_HITS = route({
  method: 'get',
  path: '/blacklist/hits',
  tag: 'blacklist',
  auth: 'read',
  summary: 'Every handshake the device model answered "blacklisted", with filters',
  query: Type.Object(
    {
      from: Type.Optional(P.time('start (inclusive), default all time')),
      to: Type.Optional(P.time('end (exclusive), default all time')),
      product: Type.Optional(P.product),
      build: Type.Optional(P.build),
      host: Type.Optional(P.host),
      vm: Type.Optional(P.vm),
      result: Type.Optional(HitResult),
      revision: Type.Optional(P.revision),
      limit: Type.Optional(P.limit),
      cursor: Type.Optional(P.cursor),
    },
    { additionalProperties: false },
  ),
  response: pageOf(
    Type.Object({
      time: Type.String(),
      vm: Type.String(),
      host: Type.String(),
      dm: Type.String(),
      seq: Type.Integer(),
      boot: Type.Integer(),
      handshakeId: Type.String(),
      product: Nullable(Type.Integer()),
      productName: Nullable(Type.String()),
      build: Nullable(Type.Integer()),
      key: Nullable(Type.String()),
      result: Type.String(),
      unplugApplied: Type.Boolean(),
      blacklistRevision: Nullable(
        Type.Integer({ description: 'null: recorded by a v1 agent (unknown)' }),
      ),
    }),
  ),
});

const Counts = {
  product: Nullable(Type.Integer()),
  productName: Nullable(Type.String()),
  build: Nullable(Type.Integer()),
  hits: Type.Integer(),
  honoured: Type.Integer(),
  ignored: Type.Integer(),
  unplugApplied: Type.Integer(),
  guests: Type.Integer(),
  hosts: Type.Integer(),
};

export const BLACKLIST_HIT_SUMMARY = route({
  method: 'get',
  path: '/blacklist/hits/summary',
  tag: 'blacklist',
  auth: 'read',
  summary:
    'Hits per UTC day and build, per build over the range, and the drivers that ignore the blacklist',
  query: Type.Object(
    {
      from: Type.Optional(P.day('first day')),
      to: Type.Optional(P.day('day after the last')),
      product: Type.Optional(P.product),
      build: Type.Optional(P.build),
    },
    { additionalProperties: false },
  ),
  response: Type.Object({
    days: Type.Array(Type.Object({ day: Type.String(), ...Counts })),
    builds: Type.Array(Type.Object(Counts)),
    ignoringDrivers: Type.Array(Type.Object(Counts)),
  }),
});

export const BLACKLIST_IMPACT = route({
  method: 'get',
  path: '/blacklist/impact',
  tag: 'blacklist',
  auth: 'read',
  summary: 'Which guests and hosts run a build now: the impact of blacklisting it',
  query: Type.Object(
    { product: P.product, build: P.build, limit: Type.Optional(P.limit) },
    { additionalProperties: false },
  ),
  response: Type.Object({
    product: Type.String(),
    build: Type.Integer(),
    key: Type.String(),
    listed: Type.Boolean(),
    guests: Type.Integer(),
    hosts: Type.Integer(),
    sample: Type.Array(
      Type.Object({
        vm: Type.String(),
        host: Type.String(),
        lastSeen: Type.String(),
        result: Type.String(),
      }),
    ),
  }),
});

export const BLACKLIST_IMPORT = route({
  method: 'post',
  path: '/blacklist/import',
  tag: 'blacklist',
  auth: 'write',
  summary:
    'Add the entries of an `xenstore-ls -f /mh/driver-blacklist` dump that are not listed yet',
  query: Type.Object({}, { additionalProperties: false }),
  body: Type.Object(
    {
      dump: Type.String({ maxLength: 4 * 1024 * 1024, description: 'xenstore-ls -f output' }),
      reason: Type.Optional(P.text(4096, 'reason for entries whose xenstore value is empty')),
      dryRun: Type.Optional(Type.Boolean()),
    },
    { additionalProperties: false },
  ),
  response: Type.Object({
    added: Type.Array(Type.Object({ key: Type.String(), revision: Nullable(Type.Integer()) })),
    alreadyListed: Type.Array(Type.String()),
    errors: Type.Array(Type.Object({ line: Type.Integer(), reason: Type.String() })),
    revision: Type.Integer(),
  }),
});

export const BLACKLIST_EXPORT = route({
  method: 'get',
  path: '/blacklist/export',
  tag: 'blacklist',
  auth: 'read',
  summary: 'The blacklist as xenstore-write / xenstore-rm commands for hosts on a stock toolstack',
  query: Type.Object(
    {
      profile: Type.Optional(
        Type.Union([Type.Literal('qemu-traditional'), Type.Literal('spec')], {
          description: 'qemu-traditional or spec',
        }),
      ),
    },
    { additionalProperties: false },
  ),
  response: Type.String(),
  responseMediaType: 'text/plain',
});
