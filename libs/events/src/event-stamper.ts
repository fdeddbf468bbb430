import {
  CURRENT_VERSIONS,
  MAX_DOMID,
  type CurrentVersions,
  UUID_PATTERN,
  type BlacklistEnvelope,
  type BlacklistEventType,
  type BlacklistPayloads,
  type GuestEnvelope,
  type GuestEventType,
  type GuestPayloads,
} from './envelope';
import { isSeq, isStreamId, STREAM_ID_PATTERN } from './event-id';
import { systemClock, toEventTime, type Clock } from './event-time';

/** Stamps the envelope onto payloads: gapless 0-based seq, `{dm}:{seq}` ids, event time. */
export interface StreamOptions {
  host: string;
  /** Stream id: the device-model instance id (or the blacklist writer's id). */
  dm: string;
  /** Seq of the next event, 0 for a new stream; a restarted producer resumes where it stopped. */
  nextSeq?: number;
  /** Microseconds since the epoch; defaults to the system clock. */
  clock?: Clock;
}

export interface GuestStreamOptions extends StreamOptions {
  vm: string;
  domid: number;
  boot: number;
}

export interface EventStamper {
  /** The seq the next event will get (persist it to resume after a restart). */
  readonly nextSeq: number;
  readonly boot: number;
  /** `timeMicros` is when it happened (e.g. the access time); defaults to the clock's now. */
  stamp<T extends GuestEventType>(
    type: T,
    data: GuestPayloads[T],
    timeMicros?: number,
  ): GuestEnvelope<T>;
  /** After a guest reset: later events carry the new boot counter. */
  setBoot(boot: number): void;
}

export interface BlacklistStamper {
  readonly nextSeq: number;
  stamp<T extends BlacklistEventType>(
    type: T,
    data: BlacklistPayloads[T],
    timeMicros?: number,
  ): BlacklistEnvelope<T>;
}

const UUID = new RegExp(UUID_PATTERN);

/**
 * handshake.outcome is the one guest type past v1: on the agent's hot path a comparison costs
 * less than a keyed lookup per event (about 20 ns). The assignment below stops compiling when
 * another guest type's current version moves past 1, so this cannot go stale silently.
 */
const OUTCOME_VERSION = CURRENT_VERSIONS['handshake.outcome'];
const otherGuestTypesAtV1: Record<
  Exclude<GuestEventType, 'handshake.outcome'>,
  1
> = CURRENT_VERSIONS;
void otherGuestTypesAtV1;

export function createEventStamper(options: GuestStreamOptions): EventStamper {
  const stream = openStream(options);
  const { host, dm, vm, domid } = options;
  if (!UUID.test(vm))
    throw new RangeError(`vm must be a lowercase canonical UUID, got ${JSON.stringify(vm)}`);
  if (!Number.isInteger(domid) || domid < 0 || domid > MAX_DOMID) {
    throw new RangeError(`domid must be an integer in 0..${MAX_DOMID}, got ${domid}`);
  }
  let boot = checkBoot(options.boot);
  return {
    get nextSeq() {
      return stream.nextSeq;
    },
    get boot() {
      return boot;
    },
    stamp: (type, data, timeMicros) => {
      const time = stream.time(timeMicros);
      const seq = stream.take();
      // One literal, fields in envelope order: a single object shape on the agent's hot path.
      // The narrowing TypeScript cannot follow through the generic: see OUTCOME_VERSION.
      const v = (
        type === 'handshake.outcome' ? OUTCOME_VERSION : 1
      ) as CurrentVersions[typeof type];
      return { id: `${dm}:${seq}`, type, v, time, host, dm, seq, vm, domid, boot, data };
    },
    setBoot: (value) => {
      boot = checkBoot(value);
    },
  };
}

export function createBlacklistStamper(options: StreamOptions): BlacklistStamper {
  const stream = openStream(options);
  return {
    get nextSeq() {
      return stream.nextSeq;
    },
    stamp: (type, data, timeMicros) => ({ ...stream.next(type, timeMicros), data }),
  };
}

function openStream(options: StreamOptions) {
  const { host, dm } = options;
  if (host.length < 1 || host.length > 255)
    throw new RangeError(`host must be 1-255 characters, got ${JSON.stringify(host)}`);
  if (!isStreamId(dm))
    throw new RangeError(`dm must match ${STREAM_ID_PATTERN}, got ${JSON.stringify(dm)}`);
  let nextSeq = options.nextSeq ?? 0;
  if (!isSeq(nextSeq)) throw new RangeError(`nextSeq must be a safe integer >= 0, got ${nextSeq}`);
  const clock = options.clock ?? systemClock();
  return {
    get nextSeq() {
      return nextSeq;
    },
    time: (timeMicros?: number) => toEventTime(timeMicros ?? clock()),
    take: () => nextSeq++,
    /** The seq is taken only once the time converted, so a bad time leaves no gap. */
    next<T extends BlacklistEventType>(type: T, timeMicros?: number) {
      const time = toEventTime(timeMicros ?? clock());
      const seq = nextSeq++;
      return { id: `${dm}:${seq}`, type, v: CURRENT_VERSIONS[type], time, host, dm, seq };
    },
  };
}

function checkBoot(boot: number): number {
  if (!isSeq(boot)) throw new RangeError(`boot must be a safe integer >= 0, got ${boot}`);
  return boot;
}
