import {
  createBlacklistStamper,
  createEventStamper,
  encodeLogBytes,
  guestLogText,
  type BlacklistEvent,
  type GuestEvent,
  type MagicportEvent,
} from '@magicport/events';

/** Test factory: one valid event of every type, with fixed ids and times. */

export const VM = '3f2504e0-4f89-41d3-9a0c-0305e82c3301';
/** 2026-03-01T12:00:00.000000Z */
export const T0 = 1_772_366_400_000_000;

export function guestStamper(nextSeq = 0) {
  let now = T0;
  return createEventStamper({
    host: 'host-a.example',
    dm: 'dm-7',
    vm: VM,
    domid: 12,
    boot: 1,
    nextSeq,
    clock: () => (now += 5),
  });
}

export function sampleGuestEvents(): GuestEvent[] {
  const stamper = guestStamper();
  const line = Buffer.from('xen|Init: version 9.1.0\r\u00ff', 'latin1');
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
    stamper.stamp('handshake.outcome', {
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
      blacklistRevision: 4,
    }),
    stamper.stamp('guest.log', {
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
    }),
    stamper.stamp('dm.stopped', { reason: 'guest-shutdown', detail: null }),
  ];
}

export function sampleBlacklistEvents(): BlacklistEvent[] {
  const stamper = createBlacklistStamper({ host: 'api-1', dm: 'blacklist', clock: () => T0 });
  const change = {
    product: 'xensource-windows',
    build: 590080,
    key: '/mh/driver-blacklist/xensource-windows/590080',
    actor: 'alice',
    reason: 'BSOD on resume (ticket 42)',
    revision: 1,
  };
  return [
    stamper.stamp('blacklist.entry.added', change),
    stamper.stamp('blacklist.entry.removed', { ...change, reason: 'fixed in 590081', revision: 2 }),
  ];
}

export function sampleEvents(): MagicportEvent[] {
  return [...sampleGuestEvents(), ...sampleBlacklistEvents()];
}
