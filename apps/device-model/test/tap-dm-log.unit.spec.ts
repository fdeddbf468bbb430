import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDmLogLine } from '../src/tap/dm-log-line';
import { logTexts, ofType, outcomes, tapFile, tapText, TRACES } from './tap-harness';

const nothing = { ideScsiDisks: false, nics: false, auxIdeDisks: false, nvmeDisks: false };

describe('dm tap: qemu-dm (qemu-traditional) logs', () => {
  it('infers the win-pv handshake qemu-dm blacklisted, as accesses of a qemu-dm-log instance', async () => {
    const { result, events } = await tapFile(join(TRACES, 'qemu-dm-win-pv-blacklisted.log'));
    expect(result).toMatchObject({
      format: 'qemu-dm',
      formatAssumed: false,
      profile: 'qemu-traditional',
    });
    expect(events[0]!.data).toMatchObject({ source: 'qemu-dm-log', profile: 'qemu-traditional' });
    expect(ofType(events, 'port.access').map((e) => e.data)).toEqual([
      { op: 'in', port: 0x10, size: 2, value: null, response: 0x49d2 },
      { op: 'in', port: 0x12, size: 1, value: null, response: 1 },
      { op: 'out', port: 0x12, size: 2, value: 0xffff, response: null },
      { op: 'out', port: 0x10, size: 4, value: 590080, response: null },
      { op: 'in', port: 0x10, size: 2, value: null, response: 0xd249 },
    ]);
    expect(outcomes(events)).toMatchObject([
      {
        result: 'blacklisted',
        protocolVersion: 1,
        product: { number: 0xffff, name: 'experimental' },
        build: 590080,
        blacklisted: true,
        blacklistKey: '/mh/driver-blacklist/experimental/590080',
        // qemu-dm never logs the mask: whatever win-pv unplugged is not in the record.
        mask: 0,
        maskWrites: [],
        unplug: nothing,
        unplugApplied: false,
        violations: [],
        // Lines 14 (product) to 16 (blacklisted), 1 µs each from the origin.
        startTime: '1970-01-01T00:00:00.000014Z',
        endTime: '1970-01-01T00:00:00.000016Z',
      },
    ]);
    // qemu-dm's own messages (start-up, xenstore, platform device) are not guest lines; win-pv's are.
    expect(
      ofType(events, 'guest.log').map((e) => [e.data.text, e.data.attribution ?? 'guest']),
    ).toEqual([
      ['XEN|DllInitialize: 9.1.0 (0) (01.01.2026)', 'guest'],
      ['UNPLUG: PRE-AMBLE (DRIVERS BLACKLISTED)', 'guest'],
      ['UNPLUG: DISKS', 'guest'],
      ['UNPLUG: NICS', 'guest'],
    ]);
    // The guest lines' events carry no attribution field at all: byte-identical to before it existed.
    expect(ofType(events, 'guest.log').every((e) => !('attribution' in e.data))).toBe(true);
    expect(result.report).toMatchObject({
      inferredFacts: 3,
      otherLines: 12,
      unparseable: 0,
      guestLines: 4,
      deviceModelLines: 15,
      unattributedLines: 0,
    });
  });

  it('splits handshakes at each product line; a build qemu-dm did not blacklist is re-checked clean', async () => {
    const { events } = await tapFile(join(TRACES, 'qemu-dm-linux.log'));
    const linux = {
      result: 'no-unplug',
      product: { number: 3, name: 'linux' },
      build: 1,
      blacklisted: false,
      // qemu-dm cannot blacklist Linux: no key is looked up.
      blacklistKey: null,
      mask: 0,
      violations: [],
    };
    expect(outcomes(events)).toMatchObject([
      { ...linux, handshakeId: 'host-1.tap-1#1' },
      { ...linux, handshakeId: 'host-1.tap-1#2' },
    ]);
  });

  it('keeps qemu-dm blacklisting sticky, reads a throttled line, and takes a misplaced notice for guest text', async () => {
    const { result, events } = await tapText(
      [
        'Citrix Windows PV drivers loaded in guest',
        'PV driver build 42',
        'Drivers are blacklisted!',
        'throttling guest access to syslogxenvbd: blacklisted, staying on emulated disks\r',
        'Drivers are blacklisted!',
        'Citrix Windows PV drivers loaded in guest',
        'PV driver build -2147483648',
        '',
      ].join('\n'),
      { format: 'qemu-dm' },
    );
    expect(outcomes(events)).toMatchObject([
      {
        result: 'blacklisted',
        product: { number: 1, name: 'xensource-windows' },
        build: 42,
        blacklistKey: '/mh/driver-blacklist/xensource-windows/42',
      },
      {
        // The flag is never cleared: the next driver's first magic read already answers 0xd249.
        result: 'blacklisted',
        product: { number: 1, name: 'xensource-windows' },
        build: 0x80000000,
        // qemu-dm formats the key's build with %d, as it printed it.
        blacklistKey: '/mh/driver-blacklist/xensource-windows/-2147483648',
      },
    ]);
    const magicAnswers = ofType(events, 'port.access')
      .filter((e) => e.data.port === 0x10 && e.data.op === 'in')
      .map((e) => e.data.response);
    expect(magicAnswers).toEqual([0x49d2, 0xd249, 0xd249, 0xd249]);
    expect(logTexts(events)).toEqual([
      'xenvbd: blacklisted, staying on emulated disks',
      'Drivers are blacklisted!',
    ]);
    expect(result.report).toMatchObject({ throttleNotices: 1, inferredFacts: 5 });
  });
});

describe('parseDmLogLine', () => {
  it.each([
    ['Citrix Windows PV drivers loaded in guest', { kind: 'product', product: 1 }],
    ['Guest claimed to be running PV product 0?', { kind: 'product', product: 0 }],
    ['Unknown PV product 65535 loaded in guest', { kind: 'product', product: 0xffff }],
    ['PV driver build -1', { kind: 'build', build: 0xffffffff, accepted: true }],
    [
      'Drivers tried to set their version number (7) before setting the product number?',
      { kind: 'build', build: 7, accepted: false },
    ],
    ['log_throttling enabled', { kind: 'dm-message', platform: true }],
    [
      'platform_fixed_ioport: changed ro/rw state of ROM memory area. now is ro state.',
      { kind: 'dm-message', platform: true },
    ],
    ['domid: 7', { kind: 'dm-message', platform: false }],
    [
      'XENVBD|PdoReset: Target[0] ====>',
      { kind: 'guest', text: 'XENVBD|PdoReset: Target[0] ====>', throttled: false },
    ],
    ['Booting from Hard Disk...', { kind: 'unattributed', text: 'Booting from Hard Disk...' }],
    // Numbers qemu-dm cannot print: a guest wrote these.
    [
      'Unknown PV product 65536 loaded in guest',
      { kind: 'guest', text: 'Unknown PV product 65536 loaded in guest', throttled: false },
    ],
    [
      'PV driver build 2147483648',
      { kind: 'guest', text: 'PV driver build 2147483648', throttled: false },
    ],
    ['a\u0000b', { kind: 'unparseable', reason: 'binary data (NUL byte)' }],
  ])('%s', (line, parsed) => {
    expect(parseDmLogLine(line)).toEqual(parsed);
  });

  it.each([
    // GPLPV's prefix is the guest's time in ms since 1601: one outside 2000-2100 is no such prefix.
    ['13412340041527: XenPCI --> DriverEntry', 'guest'],
    ['12000000000000: XenPCI --> DriverEntry', 'unattributed'],
    ['13412340041527:XenPCI', 'unattributed'],
    // win-pv: a xen* project, then |function:
    ['xenvif|PdoStartDevice: ====>', 'guest'],
    ['VBOX|Something: not a Xen project', 'unattributed'],
    ['UNPLUG: AUX DISKS', 'guest'],
    // XenServer's platform device, not win-pv
    ['UNPLUG: protocol 1 active', 'dm-message'],
    ['xen be: console-0: backlog piling up, nobody listening?', 'dm-message'],
    ['pt_msi_setup: msi mapped with pirq 37', 'dm-message'],
    ['qubes_gui/init: 660', 'dm-message'],
  ])('%s: %s', (line, kind) => {
    expect(parseDmLogLine(line).kind).toBe(kind);
  });

  it("reads a stubdomain's own boot output as the device model's only in a stubdomain console", () => {
    for (const line of [
      'MM: Init',
      'Xen Minimal OS!',
      'Linux version 6.6.63-xen-stubdom',
      '+ target=23',
    ]) {
      expect(parseDmLogLine(line).kind).toBe('unattributed');
      expect(parseDmLogLine(line, { stubdom: true }).kind).toBe('dm-message');
    }
  });

  it('takes a line longer than a guest line after the throttle notice for junk', () => {
    const longest = `throttling guest access to syslog${'x'.repeat(4095)}`;
    expect(parseDmLogLine(longest)).toMatchObject({ kind: 'guest', throttled: true });
    expect(parseDmLogLine(`${longest}x`)).toEqual({
      kind: 'unparseable',
      reason: 'longer than any qemu-dm line (4129 bytes)',
    });
  });
});
