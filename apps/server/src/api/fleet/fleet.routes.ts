import { Type } from '@sinclair/typebox';
import { Nullable, pageOf, route } from '../api-route';
import { P } from '../api-params';

const Time = Type.String({ description: 'UTC time, microseconds' });

export const FleetBuildRow = Type.Object({
  product: Type.Integer(),
  productName: Nullable(Type.String()),
  build: Type.Integer(),
  guests: Type.Integer(),
  hosts: Type.Integer(),
  handshakes: Type.Integer(),
  firstSeen: Time,
  lastSeen: Time,
  blacklistedNow: Type.Boolean({ description: 'the build is on the blacklist now' }),
});

export const CurrentGuest = Type.Object({
  vm: Type.String(),
  host: Type.String(),
  boot: Type.Integer(),
  lastSeen: Time,
  handshakeId: Type.String(),
  result: Type.String(),
  product: Nullable(Type.Integer()),
  productName: Nullable(Type.String()),
  build: Nullable(Type.Integer()),
  blacklisted: Type.Boolean(),
  blacklistRevision: Nullable(Type.Integer()),
  unplugApplied: Type.Boolean(),
  violations: Type.Array(Type.String()),
});

const range = {
  from: Type.Optional(P.time('start of the range (inclusive), default all time')),
  to: Type.Optional(P.time('end of the range (exclusive), default all time')),
};

export const FLEET_BUILDS = route({
  method: 'get',
  path: '/fleet/builds',
  tag: 'fleet',
  auth: 'read',
  summary:
    'Driver builds seen in a time range: distinct guests, hosts, handshakes, first/last seen, blacklisted now',
  query: Type.Object(
    {
      ...range,
      host: Type.Optional(P.host),
      product: Type.Optional(P.product),
      build: Type.Optional(P.build),
      limit: Type.Optional(P.limit),
      cursor: Type.Optional(P.cursor),
    },
    { additionalProperties: false },
  ),
  response: pageOf(FleetBuildRow),
});

export const FLEET_ROLLOUT = route({
  method: 'get',
  path: '/fleet/rollout',
  tag: 'fleet',
  auth: 'read',
  summary: "A product's builds' share of the guests that handshook, per UTC day (a rollout curve)",
  query: Type.Object(
    {
      product: P.product,
      build: Type.Optional(P.build),
      from: Type.Optional(P.day('first day')),
      to: Type.Optional(P.day('day after the last')),
    },
    { additionalProperties: false },
  ),
  response: Type.Object({
    items: Type.Array(
      Type.Object({
        day: Type.String(),
        build: Type.Integer(),
        guests: Type.Integer(),
        fleetGuests: Type.Integer(),
        share: Type.Number({ description: 'guests / fleetGuests' }),
      }),
    ),
  }),
});

export const FLEET_GUESTS = route({
  method: 'get',
  path: '/fleet/guests',
  tag: 'fleet',
  auth: 'read',
  summary: 'Guests whose latest handshake announced this product and build',
  query: Type.Object(
    {
      product: P.product,
      build: P.build,
      host: Type.Optional(P.host),
      limit: Type.Optional(P.limit),
      cursor: Type.Optional(P.cursor),
    },
    { additionalProperties: false },
  ),
  response: Type.Intersect([
    pageOf(CurrentGuest),
    Type.Object({ guests: Type.Integer(), hosts: Type.Integer() }),
  ]),
});

const REASONS = [
  'no-pv-driver',
  'blacklisted',
  'blacklist-enforced',
  'version-unsupported',
  'no-unplug',
  'magic-mismatch',
  'abandoned',
] as const;

export const FLEET_EMULATED = route({
  method: 'get',
  path: '/fleet/emulated',
  tag: 'fleet',
  auth: 'read',
  summary: 'Guests still on emulated devices, and why (their latest handshake, or none at all)',
  query: Type.Object(
    {
      host: Type.Optional(P.host),
      reason: Type.Optional(
        Type.Union(
          REASONS.map((r) => Type.Literal(r)),
          { description: REASONS.join(', ') },
        ),
      ),
      limit: Type.Optional(P.limit),
      cursor: Type.Optional(P.cursor),
    },
    { additionalProperties: false },
  ),
  response: pageOf(
    Type.Object({
      vm: Type.String(),
      host: Type.String(),
      reason: Type.String(),
      latest: Nullable(CurrentGuest),
      violations: Type.Array(Type.String()),
    }),
  ),
});

export const FLEET_UNKNOWN_PRODUCTS = route({
  method: 'get',
  path: '/fleet/unknown-products',
  tag: 'fleet',
  auth: 'read',
  summary: 'Product numbers guests wrote that the registry does not know',
  query: Type.Object(range, { additionalProperties: false }),
  response: Type.Object({
    items: Type.Array(
      Type.Object({
        product: Type.Integer(),
        guests: Type.Integer(),
        hosts: Type.Integer(),
        handshakes: Type.Integer(),
        builds: Type.Array(Type.Integer()),
        firstSeen: Time,
        lastSeen: Time,
      }),
    ),
  }),
});
