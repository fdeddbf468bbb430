import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { LineClass } from '../src/tap/tap-report';
import { ofType, outcomes, tapFile, TRACES } from './tap-harness';

/** Each sample with a `.classes` sidecar: the class of every line, in order. */
async function samples(): Promise<string[]> {
  return (await readdir(TRACES)).filter((name) => name.endsWith('.classes')).sort();
}

async function classesOf(name: string) {
  const classes: (LineClass | 'unparseable')[] = [];
  const { result, events } = await tapFile(
    join(TRACES, name),
    {},
    { onLine: (at, lineClass) => (classes[at.fileLine - 1] = lineClass) },
  );
  return { classes, result, events };
}

describe('dm tap: every line of the samples gets the class its sidecar states', () => {
  it('has a sidecar for each qemu-dm and stubdomain sample', async () => {
    expect(await samples()).toEqual([
      'qemu-dm-linux.log.classes',
      'qemu-dm-mixed.log.classes',
      'qemu-dm-win-pv-blacklisted.log.classes',
      'qubes-gplpv.mini-os-stubdom-dm.log.classes',
      'qubes-win-pv.linux-stubdom-dm.log.classes',
    ]);
  });

  it.each([
    // [sample, format, profile, guest, device-model, unattributed, unparseable]
    ['qemu-dm-linux.log', 'qemu-dm', 'qemu-traditional', 0, 11, 0, 0],
    ['qemu-dm-mixed.log', 'qemu-dm', 'qemu-traditional', 9, 32, 2, 0],
    ['qemu-dm-win-pv-blacklisted.log', 'qemu-dm', 'qemu-traditional', 4, 15, 0, 0],
    ['qubes-gplpv.mini-os-stubdom-dm.log', 'qubes-stubdom', 'qemu-traditional', 6, 32, 2, 1],
    ['qubes-win-pv.linux-stubdom-dm.log', 'qubes-stubdom', 'qemu-upstream', 7, 30, 0, 0],
  ] as const)(
    '%s: %s, %s profile; %i guest, %i device-model, %i unattributed, %i unparseable',
    async (name, format, profile, guest, deviceModel, unattributed, unparseable) => {
      const expected = (await readFile(join(TRACES, `${name}.classes`), 'utf8'))
        .split('\n')
        .filter((line) => line !== '');
      const { classes, result, events } = await classesOf(name);
      expect(classes).toEqual(expected);
      expect(result).toMatchObject({ format, profile, formatSource: 'detected' });
      expect(result.report).toMatchObject({
        guestLines: guest,
        deviceModelLines: deviceModel,
        unattributedLines: unattributed,
        unparseable,
      });
      // Guest lines and unattributed ones are published; the device model's are not.
      const logs = ofType(events, 'guest.log');
      expect(logs.filter((e) => e.data.attribution === undefined)).toHaveLength(guest);
      expect(logs.filter((e) => e.data.attribution === 'unattributed')).toHaveLength(unattributed);
    },
  );
});

describe('dm tap: Qubes stubdomain console logs', () => {
  it('upstream QEMU in the Linux stubdomain: traced accesses and guest lines at the bracketed times (UTC)', async () => {
    const { result, events } = await tapFile(join(TRACES, 'qubes-win-pv.linux-stubdom-dm.log'));
    expect(events[0]).toMatchObject({
      type: 'dm.started',
      time: '2026-01-14T09:12:01.000000Z',
      data: { source: 'qemu-trace', profile: 'qemu-upstream' },
    });
    expect(outcomes(events)).toMatchObject([
      {
        result: 'unplugged',
        product: { number: 0xffff, name: 'experimental' },
        build: 590080,
        mask: 11,
        maskWrites: [9, 2],
        startTime: '2026-01-14T09:12:31.000000Z',
      },
    ]);
    expect(ofType(events, 'guest.log').map((e) => [e.time, e.data.text])).toEqual([
      ['2026-01-14T09:12:31.000000Z', 'XEN|DllInitialize: 9.1.0 (12) (14.01.2026)'],
      [
        '2026-01-14T09:12:31.000000Z',
        'XEN|UnplugPreamble: UNPLUG: PRE-AMBLE (DRIVERS NOT BLACKLISTED)',
      ],
      ['2026-01-14T09:12:31.000000Z', 'XEN|UnplugDevices: UNPLUG: DISKS'],
      ['2026-01-14T09:12:31.000000Z', 'XEN|UnplugDevices: UNPLUG: NICS'],
      ['2026-01-14T09:12:32.000000Z', 'XENBUS|FdoCreate: FDO 0xFFFF9C0F3A1D2000 (XENBUS)'],
      [
        '2026-01-14T09:12:33.000000Z',
        'xen|ModuleAdd: ADDING: FFFFF80211C00000 - FFFFF80211C6BFFF [xenvbd.sys]',
      ],
      ['2026-01-14T09:12:34.000000Z', 'XENVBD|FrontendConnect: Target[0] : CONNECTED'],
    ]);
    expect(result.report).toMatchObject({ accesses: 9, syntheticTimes: 0, unparseable: 0 });
  });

  it('reads the times in --tz: Europe/Warsaw is UTC+1 in January', async () => {
    const { events } = await tapFile(join(TRACES, 'qubes-win-pv.linux-stubdom-dm.log'), {
      tz: 'Europe/Warsaw',
    });
    expect(events[0]!.time).toBe('2026-01-14T08:12:01.000000Z');
    expect(ofType(events, 'guest.log')[0]!.time).toBe('2026-01-14T08:12:31.000000Z');
  });

  it('qemu-traditional in Mini-OS: inferred accesses, a wrapped line timed after the last prefix, a bad date listed', async () => {
    const { result, events } = await tapFile(join(TRACES, 'qubes-gplpv.mini-os-stubdom-dm.log'));
    expect(events[0]!.data).toMatchObject({ source: 'qemu-dm-log', profile: 'qemu-traditional' });
    expect(outcomes(events)).toMatchObject([
      { product: { number: 2, name: 'gplpv-windows' }, build: 1, blacklisted: false },
    ]);
    const unattributed = ofType(events, 'guest.log').filter(
      (e) => e.data.attribution === 'unattributed',
    );
    expect(unattributed.map((e) => [e.time, e.data.text])).toEqual([
      ['2026-01-14T10:20:42.000000Z', 'Notice: the guest wrote this line with no driver prefix'],
      // No prefix: 1 µs after the line before it.
      ['2026-01-14T10:20:42.000001Z', 'wrapped tail of a console line'],
    ]);
    expect(result.report).toMatchObject({ syntheticTimes: 1, inferredFacts: 2 });
    expect(result.report.issues).toEqual([
      {
        line: 41,
        generation: 0,
        kind: 'unparseable',
        reason: 'timestamp outside 1970-2249 or not a real date',
      },
    ]);
  });
});
