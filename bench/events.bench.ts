/**
 * libs/events: decode (UTF-8 check + JSON.parse + validation + upcast) and encode rates over a
 * realistic mix, and the validator choice: TypeBox's compiler vs Ajv on the very same schemas.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import {
  EVENT_KINDS,
  compileSchemaCheck,
  createEventStamper,
  decodeEvent,
  encodeEvent,
  encodeLogBytes,
  envelopeSchema,
  guestLogText,
  type GuestEvent,
  type HandshakeOutcomeData,
} from '@magicport/events';
import { median, rate, type Benchmark, type Measurement } from './harness';

const EVENTS = 20_000;
const ROUNDS = Number(process.env.ROUNDS ?? 5);

/** Per 100 events: 85 port accesses, 8 log lines, 5 handshake outcomes, a start and a stop. */
function realisticMix(): GuestEvent[] {
  let now = 1_772_366_400_000_000;
  const stamper = createEventStamper({
    host: 'bench-host',
    dm: 'dm-bench',
    vm: '3f2504e0-4f89-41d3-9a0c-0305e82c3301',
    domid: 7,
    boot: 1,
    clock: () => (now += 3),
  });
  const events: GuestEvent[] = [];
  for (let i = 0; events.length < EVENTS; i++) {
    const slot = i % 100;
    if (slot === 0) events.push(stamper.stamp('dm.started', dmStarted));
    else if (slot === 99)
      events.push(stamper.stamp('dm.stopped', { reason: 'agent-stop', detail: null }));
    else if (slot % 20 === 1) events.push(stamper.stamp('handshake.outcome', outcome(now)));
    else if (slot % 12 === 2) events.push(stamper.stamp('guest.log', logLine(i, now)));
    else events.push(stamper.stamp('port.access', access(i)));
  }
  return events;
}

const dmStarted = {
  profile: 'spec',
  enforceBlacklist: false,
  agentVersion: '0.1.0',
  source: 'simulated',
  options: { logByteAccesses: false, idleGapMs: 5000 },
} as const;

function access(i: number) {
  return i % 2
    ? ({ op: 'in', port: 0x10, size: 2, value: null, response: 0x49d2 } as const)
    : ({ op: 'out', port: 0x12, size: 2, value: i & 0xffff, response: null } as const);
}

function outcome(now: number): HandshakeOutcomeData {
  const time = new Date(now / 1000).toISOString().replace('Z', '000Z');
  return {
    handshakeId: `dm-bench:${now}`,
    result: 'unplugged',
    protocolVersion: 1,
    product: { number: 3, name: 'linux' },
    build: 1,
    blacklisted: false,
    blacklistKey: null,
    mask: 3,
    maskWrites: [3],
    unplug: { ideScsiDisks: true, nics: true, auxIdeDisks: false, nvmeDisks: false },
    unplugApplied: true,
    violations: [],
    startTime: time,
    endTime: time,
    accessCount: 6,
    blacklistRevision: 4,
  };
}

function logLine(i: number, now: number) {
  const bytes = Buffer.from(`XENBUS|UnplugDevices: DISKS ${i} (some typical driver chatter)`);
  const time = new Date(now / 1000).toISOString().replace('Z', '000Z');
  return {
    text: guestLogText(bytes),
    bytesBase64: encodeLogBytes(bytes),
    truncated: false,
    trigger: 10,
    droppedBefore: 0,
    throttledMs: 0,
    accessCount: bytes.length + 1,
    firstTime: time,
    lastTime: time,
    handshakeId: null,
  };
}

/** Runs `work` over all events ROUNDS times; the median round's events/s. */
function measure(label: string, work: () => void): Measurement {
  const rates: number[] = [];
  work(); // warm-up: compile and JIT
  for (let round = 0; round < ROUNDS; round++) {
    const started = process.hrtime.bigint();
    work();
    rates.push(rate(EVENTS, started));
  }
  const spread = `${Math.round(Math.min(...rates))}-${Math.round(Math.max(...rates))}`;
  return {
    name: label,
    value: median(rates),
    unit: 'events/s',
    detail: `${EVENTS} events x ${ROUNDS} rounds, min-max ${spread}`,
  };
}

/** Ajv is only a devDependency of @magicport/events; resolve it the way that package does. */
function ajvCompilers(): Map<string, (value: unknown) => boolean> {
  const requireFromEvents = createRequire(join(__dirname, '../libs/events/package.json'));
  const Ajv = requireFromEvents('ajv').default as new (options: object) => {
    compile(schema: object): (value: unknown) => boolean;
  };
  const ajv = new Ajv({ allErrors: false, strict: false });
  return new Map(
    EVENT_KINDS.map((k) => [
      k.type,
      ajv.compile(envelopeSchema(k.envelope, k.type, 1, k.versions[1]!.data)),
    ]),
  );
}

function typeboxCompilers(): Map<string, (value: unknown) => boolean> {
  return new Map(
    EVENT_KINDS.map((k) => {
      const check = compileSchemaCheck(envelopeSchema(k.envelope, k.type, 1, k.versions[1]!.data));
      return [k.type, check.test];
    }),
  );
}

function validatorOnly(
  label: string,
  checks: Map<string, (value: unknown) => boolean>,
  parsed: GuestEvent[],
) {
  return measure(label, () => {
    for (const event of parsed) {
      if (!checks.get(event.type)!(event)) throw new Error(`${label} rejected ${event.id}`);
    }
  });
}

const benchmark: Benchmark = {
  name: 'events',
  async run() {
    const events = realisticMix();
    const encoded = events.map(encodeEvent);
    const parsed = encoded.map((bytes) => JSON.parse(bytes.toString('utf8')) as GuestEvent);
    const bytes = encoded.reduce((sum, b) => sum + b.length, 0);
    return [
      measure('decode: utf-8 + JSON.parse + validate + rules (TypeBox)', () => {
        for (const record of encoded) if (!decodeEvent(record).ok) throw new Error('rejected');
      }),
      measure('encode: encodeEvent (eventJson + Buffer)', () => {
        for (const event of events) encodeEvent(event);
      }),
      measure('JSON.parse alone (floor for decode)', () => {
        for (const record of encoded) JSON.parse(record.toString('utf8'));
      }),
      validatorOnly('schema check only: Ajv 8 (allErrors off)', ajvCompilers(), parsed),
      validatorOnly('schema check only: TypeBox TypeCompiler 0.34', typeboxCompilers(), parsed),
      {
        name: 'mean encoded event size',
        value: bytes / events.length,
        unit: 'bytes',
        detail: '85% port.access',
      },
    ];
  },
};

export default benchmark;
