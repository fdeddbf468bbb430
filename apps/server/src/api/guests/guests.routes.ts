import { Type } from '@sinclair/typebox';
import { Nullable, pageOf, route } from '../api-route';
import { P } from '../api-params';

const vmPath = Type.Object({ vm: P.vm });

const Outcome = Type.Object({
  result: Type.String(),
  protocolVersion: Nullable(Type.Integer()),
  product: Nullable(Type.Object({ number: Type.Integer(), name: Nullable(Type.String()) })),
  build: Nullable(Type.Integer()),
  blacklisted: Type.Boolean(),
  blacklistKey: Nullable(Type.String()),
  mask: Type.Integer(),
  maskWrites: Type.Array(Type.Integer()),
  unplug: Type.Object({
    ideScsiDisks: Type.Boolean(),
    nics: Type.Boolean(),
    auxIdeDisks: Type.Boolean(),
    nvmeDisks: Type.Boolean(),
  }),
  unplugApplied: Type.Boolean(),
  violations: Type.Array(Type.String()),
});

export const RecordedHandshake = Type.Intersect([
  Outcome,
  Type.Object({
    vm: Type.String(),
    dm: Type.String(),
    seq: Type.Integer(),
    boot: Type.Integer(),
    host: Type.String(),
    handshakeId: Type.String(),
    blacklistRevision: Nullable(Type.Integer()),
    startTime: Type.String(),
    endTime: Type.String(),
    accessCount: Type.Integer(),
  }),
]);

export const GUEST_HANDSHAKES = route({
  method: 'get',
  path: '/guests/{vm}/handshakes',
  tag: 'guests',
  auth: 'read',
  summary: "A guest's handshakes in time order (optionally one boot)",
  pathParams: vmPath,
  query: Type.Object(
    { boot: Type.Optional(P.boot), limit: Type.Optional(P.limit), cursor: Type.Optional(P.cursor) },
    { additionalProperties: false },
  ),
  response: pageOf(RecordedHandshake),
});

const PROFILES = Type.Union(
  [Type.Literal('spec'), Type.Literal('qemu-traditional'), Type.Literal('qemu-upstream')],
  {
    description: 'spec, qemu-traditional or qemu-upstream',
  },
);

export const GUEST_REPLAY = route({
  method: 'get',
  path: '/guests/{vm}/replay',
  tag: 'guests',
  auth: 'read',
  summary:
    'Replays one boot of a guest from ClickHouse: decoded timeline, recorded vs replayed outcomes, what-if options',
  pathParams: vmPath,
  query: Type.Object(
    {
      boot: Type.Optional(P.boot),
      handshake: Type.Optional(P.text(160, 'handshake id')),
      profile: Type.Optional(PROFILES),
      enforce: Type.Optional(
        Type.Boolean({
          description: 'true or false: ignore mask writes of blacklisted drivers (spec only)',
        }),
      ),
      blacklist: Type.Optional(
        Type.Union(
          [
            Type.Literal('recorded'),
            Type.Literal('current'),
            Type.Literal('as-of'),
            Type.Literal('given'),
          ],
          {
            description:
              'recorded (what the agent answered from, default), current, as-of (with asOf) or given (with keys)',
          },
        ),
      ),
      asOf: Type.Optional(P.revision),
      // Bounded so the URL stays within Node's 16 KiB request-header limit.
      keys: Type.Optional(
        Type.String({
          maxLength: 8192,
          pattern: '^[A-Za-z0-9/,._+-]*$',
          description: 'comma-separated blacklist keys like /mh/driver-blacklist/linux/1',
        }),
      ),
      timelineLimit: Type.Optional(
        Type.Integer({
          minimum: 0,
          maximum: 100000,
          description: 'timeline entries returned, 0 to 100000 (default 5000)',
        }),
      ),
    },
    { additionalProperties: false },
  ),
  response: Type.Object({
    vm: Type.String(),
    boot: Type.Integer(),
    dm: Type.String(),
    host: Type.String(),
    profile: Type.String(),
    enforceBlacklist: Type.Boolean(),
    blacklist: Type.Object({
      mode: Type.String(),
      revision: Nullable(Type.Integer()),
      keys: Type.Array(Type.String()),
    }),
    handshake: Nullable(
      Type.Integer({ description: 'index of the selected handshake in the boot' }),
    ),
    recorded: Type.Array(RecordedHandshake),
    replayed: Type.Array(Outcome),
    matches: Type.Boolean({
      description: 'the replay reproduces every recorded outcome and response',
    }),
    differences: Type.Array(Type.Object({}, { additionalProperties: true })),
    accesses: Type.Integer(),
    timeline: Type.Array(
      Type.Object({
        index: Type.Integer(),
        time: Type.String(),
        op: Type.String(),
        port: Type.Integer(),
        size: Type.Integer(),
        value: Nullable(Type.Integer()),
        response: Nullable(Type.Integer()),
        recordedResponse: Nullable(Type.Integer()),
        meaning: Type.String(),
        handshake: Nullable(Type.Integer()),
        phase: Type.String(),
      }),
    ),
    timelineTruncated: Type.Boolean(),
  }),
});

const ATTRIBUTION = Type.Union(
  [Type.Literal('guest'), Type.Literal('unattributed'), Type.Literal('all')],
  {
    default: 'all',
    description:
      "which lines: the guest's (guest), those qemu-dm's log could not attribute (unattributed), or both (all)",
  },
);

const LogLine = Type.Object({
  time: Type.String(),
  vm: Type.String(),
  host: Type.String(),
  dm: Type.String(),
  seq: Type.Integer(),
  boot: Type.Integer(),
  text: Type.String(),
  truncated: Type.Boolean(),
  droppedBefore: Type.Integer({
    description: 'lines the rate limiter dropped right before this one',
  }),
  throttledMs: Type.Number({
    description: 'delay the qemu-traditional throttle would have imposed',
  }),
  handshakeId: Nullable(Type.String()),
  attribution: Type.Union([Type.Literal('guest'), Type.Literal('unattributed')], {
    description:
      "unattributed: a qemu-dm log line the tap could not tell from qemu-dm's own messages",
  }),
  handshake: Nullable(
    Type.Object({
      result: Type.String(),
      product: Nullable(Type.String()),
      build: Nullable(Type.Integer()),
    }),
  ),
});

export const GUEST_LOGS = route({
  method: 'get',
  path: '/guests/{vm}/logs',
  tag: 'logs',
  auth: 'read',
  summary: "A guest's reassembled log lines with their handshake and rate-limiter counts",
  pathParams: vmPath,
  query: Type.Object(
    {
      boot: Type.Optional(P.boot),
      grep: Type.Optional(P.text(1024, 'an RE2 regular expression')),
      from: Type.Optional(P.time('start (inclusive)')),
      to: Type.Optional(P.time('end (exclusive)')),
      attribution: Type.Optional(ATTRIBUTION),
      limit: Type.Optional(P.limit),
      cursor: Type.Optional(P.cursor),
    },
    { additionalProperties: false },
  ),
  response: pageOf(LogLine),
});

export const LOG_SEARCH = route({
  method: 'get',
  path: '/logs/search',
  tag: 'logs',
  auth: 'read',
  summary: 'Guest log lines across the fleet containing a text (case-insensitive) in a time range',
  query: Type.Object(
    {
      q: P.text(1024, 'the text to find (case-insensitive)'),
      from: Type.Optional(P.time('start (inclusive), default 24 hours before to')),
      to: Type.Optional(P.time('end (exclusive), default now')),
      host: Type.Optional(P.host),
      attribution: Type.Optional(ATTRIBUTION),
      limit: Type.Optional(P.limit),
      cursor: Type.Optional(P.cursor),
    },
    { additionalProperties: false },
  ),
  response: pageOf(LogLine),
});
