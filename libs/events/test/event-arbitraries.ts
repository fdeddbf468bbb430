import fc from 'fast-check';
import {
  EVENT_TIME_END_MICROS,
  MAX_DOMID,
  MAX_LOG_LINE_BYTES,
  createBlacklistStamper,
  createEventStamper,
  encodeLogBytes,
  guestLogText,
  toEventTime,
  type BlacklistEvent,
  type GuestEvent,
  type GuestLogData,
  type HandshakeOutcomeData,
  type MagicportEvent,
  type PortAccessData,
} from '@magicport/events';
import { blacklistKey, PRODUCTS } from '@magicport/protocol';

/** fast-check arbitraries of valid events: every field anywhere in its allowed range. */

/** Plain objects only: decoded JSON never has a null prototype, and toStrictEqual tells them apart. */
function rec<T>(model: { [K in keyof T]: fc.Arbitrary<T[K]> }): fc.Arbitrary<T> {
  return fc.record(model, { noNullPrototype: true });
}

const micros = fc.integer({ min: 0, max: EVENT_TIME_END_MICROS - 1 });
const time = micros.map(toEventTime);
const timeRange = fc
  .tuple(micros, micros)
  .map(([a, b]) => [toEventTime(Math.min(a, b)), toEventTime(Math.max(a, b))] as const);
/** 'binary' units are any code point, lone surrogates included; half the limit keeps UTF-16 length in range. */
const text = (maxCodeUnits: number, minLength = 0) =>
  fc.string({ unit: 'binary', minLength, maxLength: Math.floor(maxCodeUnits / 2) });
const uint = (max: number) => fc.integer({ min: 0, max });
const handshakeId = fc.stringMatching(/^[a-z0-9:-]{1,40}$/);

const portAccess: fc.Arbitrary<PortAccessData> = fc
  .record({
    op: fc.constantFrom('in' as const, 'out' as const),
    port: fc.integer({ min: 0x10, max: 0x1f }),
    size: fc.constantFrom(1 as const, 2 as const, 4 as const),
  })
  .chain((base) =>
    uint(2 ** (8 * base.size) - 1).map((n) => ({
      ...base,
      value: base.op === 'out' ? n : null,
      response: base.op === 'in' ? n : null,
    })),
  );

const outcome: fc.Arbitrary<HandshakeOutcomeData> = rec({
  handshakeId,
  result: fc.constantFrom(
    'unplugged',
    'no-unplug',
    'blacklisted',
    'blacklist-ignored',
    'version-unsupported',
    'magic-mismatch',
    'abandoned',
  ),
  protocolVersion: fc.option(uint(0xff)),
  product: fc.option(rec({ number: uint(0xffff), name: fc.option(text(64)) })),
  build: fc.option(uint(0xffffffff)),
  blacklisted: fc.boolean(),
  blacklistKey: fc.option(text(256, 1)),
  mask: uint(0xffff),
  maskWrites: fc.array(uint(0xffff), { maxLength: 8 }),
  unplug: rec({
    ideScsiDisks: fc.boolean(),
    nics: fc.boolean(),
    auxIdeDisks: fc.boolean(),
    nvmeDisks: fc.boolean(),
  }),
  unplugApplied: fc.boolean(),
  violations: fc.array(fc.stringMatching(/^[a-z0-9]{1,8}(-[a-z0-9]{1,8}){0,3}$/), { maxLength: 4 }),
  startTime: fc.constant(''),
  endTime: fc.constant(''),
  accessCount: uint(Number.MAX_SAFE_INTEGER),
  blacklistRevision: fc.option(uint(Number.MAX_SAFE_INTEGER)),
}).chain((o) => timeRange.map(([startTime, endTime]) => ({ ...o, startTime, endTime })));

const logLine: fc.Arbitrary<GuestLogData> = fc
  .oneof(
    rec({
      bytes: fc.uint8Array({ maxLength: 200 }),
      truncated: fc.constant(false),
      trigger: fc.constant<number | null>(10),
    }),
    // A line flushed without a trigger (at stop) holds at least one byte: an empty buffer emits nothing.
    rec({
      bytes: fc.uint8Array({ minLength: 1, maxLength: 200 }),
      truncated: fc.constant(false),
      trigger: fc.constant(null),
    }),
    rec({
      bytes: fc.uint8Array({ minLength: MAX_LOG_LINE_BYTES, maxLength: MAX_LOG_LINE_BYTES }),
      truncated: fc.constant(true),
      trigger: uint(0xff),
    }),
  )
  .chain(({ bytes, truncated, trigger }) =>
    rec({
      text: fc.constant(guestLogText(bytes)),
      bytesBase64: fc.constant(encodeLogBytes(bytes)),
      truncated: fc.constant(truncated),
      trigger: fc.constant(trigger as number | null),
      droppedBefore: uint(Number.MAX_SAFE_INTEGER),
      throttledMs: fc.double({ min: 0, max: 86_400_000, noNaN: true }),
      accessCount: fc.constant(bytes.length + (trigger === null ? 0 : 1)),
      firstTime: fc.constant(''),
      lastTime: fc.constant(''),
      handshakeId: fc.option(handshakeId),
    }),
  )
  .chain((line) => timeRange.map(([firstTime, lastTime]) => ({ ...line, firstTime, lastTime })))
  // attribution is optional: absent (a guest line as written before it existed), or either value.
  .chain((line) =>
    fc
      .option(fc.constantFrom('guest' as const, 'unattributed' as const), { nil: undefined })
      .map((attribution) => (attribution === undefined ? line : { ...line, attribution })),
  );

const guestPayload = fc.oneof(
  rec({
    type: fc.constant('dm.started' as const),
    data: rec({
      profile: fc.constantFrom(
        'spec' as const,
        'qemu-traditional' as const,
        'qemu-upstream' as const,
      ),
      enforceBlacklist: fc.boolean(),
      agentVersion: text(64, 1),
      source: fc.constantFrom('simulated' as const, 'qemu-trace' as const, 'qemu-dm-log' as const),
      options: rec({ logByteAccesses: fc.boolean(), idleGapMs: uint(86_400_000) }),
    }),
  }),
  rec({
    type: fc.constant('dm.stopped' as const),
    data: rec({
      reason: fc.constantFrom(
        'agent-stop' as const,
        'guest-shutdown' as const,
        'guest-destroyed' as const,
        'migrated-out' as const,
        'error' as const,
      ),
      detail: fc.option(text(4096)),
    }),
  }),
  rec({ type: fc.constant('port.access' as const), data: portAccess }),
  rec({ type: fc.constant('handshake.outcome' as const), data: outcome }),
  rec({ type: fc.constant('guest.log' as const), data: logLine }),
);

const stream = rec({
  host: text(255, 1),
  dm: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/),
  nextSeq: uint(Number.MAX_SAFE_INTEGER - 1),
  time: micros,
});

export const guestEvent: fc.Arbitrary<GuestEvent> = fc
  .tuple(stream, fc.uuid(), uint(MAX_DOMID), uint(Number.MAX_SAFE_INTEGER), guestPayload)
  .map(([s, vm, domid, boot, payload]) => {
    const stamper = createEventStamper({
      host: s.host,
      dm: s.dm,
      vm,
      domid,
      boot,
      nextSeq: s.nextSeq,
    });
    return stamper.stamp(payload.type, payload.data as never, s.time) as GuestEvent;
  });

export const blacklistEvent: fc.Arbitrary<BlacklistEvent> = fc
  .tuple(
    stream,
    fc.constantFrom('blacklist.entry.added' as const, 'blacklist.entry.removed' as const),
    // Only registered products have a blacklist key.
    fc.constantFrom(...PRODUCTS.keys()),
    uint(0xffffffff),
    rec({
      actor: text(256, 1),
      reason: text(4096),
      revision: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
    }),
  )
  .map(([s, type, product, build, change]) =>
    createBlacklistStamper({ host: s.host, dm: s.dm, nextSeq: s.nextSeq }).stamp(
      type,
      {
        product: PRODUCTS.get(product)!,
        build,
        key: blacklistKey(product, build, 'spec')!,
        ...change,
      },
      s.time,
    ),
  );

export const anyEvent: fc.Arbitrary<MagicportEvent> = fc.oneof(guestEvent, blacklistEvent);
export { time };
