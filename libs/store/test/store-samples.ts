import {
  HandshakeOutcomeSchema,
  createBlacklistStamper,
  createEventStamper,
  encodeLogBytes,
  guestLogText,
  type BlacklistEvent,
  type EventOf,
  type GuestEvent,
  type HandshakeOutcomeData,
  type MagicportEvent,
} from '@magicport/events';

/** Hand-built events for the store's tests: fixed ids and times, every type. */

export const VM_A = '3f2504e0-4f89-41d3-9a0c-0305e82c3301';
/** 2026-03-01T12:00:00.000000Z */
export const T0 = 1_772_366_400_000_000;
export const SOURCE = { topic: 'magicport.events.v1', partition: 3, offset: '9007199254740993' };

export interface GuestOptions {
  vm?: string;
  dm?: string;
  host?: string;
  domid?: number;
  boot?: number;
  /** Microseconds of the first event; each later event is 5 us after the previous one. */
  start?: number;
  nextSeq?: number;
}

export function guestStamper(options: GuestOptions = {}) {
  let now = (options.start ?? T0) - 5;
  return createEventStamper({
    host: options.host ?? 'host-a.example',
    dm: options.dm ?? 'dm-7',
    vm: options.vm ?? VM_A,
    domid: options.domid ?? 12,
    boot: options.boot ?? 1,
    nextSeq: options.nextSeq ?? 0,
    clock: () => (now += 5),
  });
}

export const LOG_LINE = Buffer.from('xen|Init: version 9.1.0\r\u00ff', 'latin1');

/**
 * handshake.outcome v2 (libs/blacklist's change) adds a required `blacklistRevision`; these
 * samples are valid events before and after it lands.
 */
const V2 = 'blacklistRevision' in HandshakeOutcomeSchema.properties;

export function outcomeData(overrides: Partial<HandshakeOutcomeData> = {}): HandshakeOutcomeData {
  return {
    ...(V2 ? { blacklistRevision: null } : {}),
    handshakeId: 'dm-7:1',
    result: 'unplugged',
    protocolVersion: 1,
    product: { number: 3, name: 'linux' },
    build: 1,
    blacklisted: false,
    blacklistKey: null,
    mask: 3,
    maskWrites: [1, 2],
    unplug: { ideScsiDisks: true, nics: true, auxIdeDisks: false, nvmeDisks: false },
    unplugApplied: true,
    violations: ['log-before-magic'],
    startTime: '2026-03-01T12:00:00.000010Z',
    endTime: '2026-03-01T12:00:00.000020Z',
    accessCount: 6,
    ...overrides,
  } as HandshakeOutcomeData;
}

export function logData(
  line: Buffer = LOG_LINE,
  overrides: Partial<EventOf<'guest.log'>['data']> = {},
): EventOf<'guest.log'>['data'] {
  return {
    text: guestLogText(line),
    bytesBase64: encodeLogBytes(line),
    truncated: false,
    trigger: 10,
    droppedBefore: 2,
    throttledMs: 0.390625,
    accessCount: line.length + 1,
    firstTime: '2026-03-01T12:00:00.000021Z',
    lastTime: '2026-03-01T12:00:00.000029Z',
    handshakeId: null,
    ...overrides,
  };
}

/** dm.started, 3 port accesses, an outcome, a log line, dm.stopped: seq 0-6, 5 us apart. */
export function sampleGuestEvents(): GuestEvent[] {
  const stamper = guestStamper();
  return [
    stamper.stamp('dm.started', {
      profile: 'spec',
      enforceBlacklist: false,
      agentVersion: '0.1.0',
      source: 'simulated',
      options: { logByteAccesses: false, idleGapMs: 5000 },
    }),
    stamper.stamp('port.access', { op: 'in', port: 0x10, size: 2, value: null, response: 0x49d2 }),
    stamper.stamp('port.access', { op: 'out', port: 0x12, size: 2, value: 3, response: null }),
    stamper.stamp('port.access', {
      op: 'out',
      port: 0x10,
      size: 4,
      value: 0xffffffff,
      response: null,
    }),
    stamper.stamp('handshake.outcome', outcomeData()),
    stamper.stamp('guest.log', logData()),
    stamper.stamp('dm.stopped', { reason: 'error', detail: 'qemu "died"\n' }),
  ];
}

export function blacklistChange(
  type: BlacklistEvent['type'],
  revision: number,
  overrides: Partial<BlacklistEvent['data']> = {},
  seq = revision - 1,
): BlacklistEvent {
  const stamper = createBlacklistStamper({
    host: 'api-1',
    dm: 'blacklist',
    nextSeq: seq,
    clock: () => T0 + revision * 1_000_000,
  });
  return stamper.stamp(type, {
    product: 'xensource-windows',
    build: 590080,
    key: '/mh/driver-blacklist/xensource-windows/590080',
    actor: 'alice',
    reason: 'BSOD on resume (ticket 42)',
    revision,
    ...overrides,
  });
}

export function sampleEvents(): MagicportEvent[] {
  return [
    ...sampleGuestEvents(),
    blacklistChange('blacklist.entry.added', 1),
    blacklistChange('blacklist.entry.removed', 2, { reason: 'fixed in 590081' }),
  ];
}
