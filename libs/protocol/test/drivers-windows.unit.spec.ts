import { describe, expect, it } from 'vitest';
import { gplpvDriver, winPvBuild, winPvDriver } from '@magicport/protocol';
import { inB, inW, logLine, outL, outW, play } from './drivers-harness';

const BANNER = logLine('XEN|DllInitialize: 9.1.0 (0) (01.01.2026)\n');
const WIN_HANDSHAKE = [inW(0x10), inB(0x12), outW(0x12, 0xffff), outL(0x10, 590080), inW(0x10)];
const NOT_BLACKLISTED = logLine('UNPLUG: PRE-AMBLE (DRIVERS NOT BLACKLISTED)\n');
const BLACKLISTED = logLine('UNPLUG: PRE-AMBLE (DRIVERS BLACKLISTED)\n');
const DISKS_2026 = [outW(0x10, 0x0009), ...logLine('UNPLUG: DISKS\n')];
const NICS = [outW(0x10, 0x0002), ...logLine('UNPLUG: NICS\n')];

describe('winPvDriver (xenbus)', () => {
  it('builds 9.1.0 as 590080 and 8.2.1 as 524801', () => {
    expect(winPvBuild()).toBe(590080);
    expect(winPvBuild({ major: 8, minor: 2, micro: 1 })).toBe(524801);
  });

  it('boot: banner before the magic, then product 0xffff, build, disks 0x0009 and NICs', () => {
    const run = play(winPvDriver(), [0x49d2, 1, 0x49d2]);
    expect(run.accesses).toEqual([
      ...BANNER,
      ...WIN_HANDSHAKE,
      ...NOT_BLACKLISTED,
      ...DISKS_2026,
      ...NICS,
    ]);
    expect(run.result).toEqual({ verdict: 'completed', blacklisted: false, masks: [9, 2] });
    expect(run.unread).toBe(0);
  });

  it('0xd249 on the first read: blacklisted, skips the handshake, unplugs anyway', () => {
    const run = play(winPvDriver(), [0xd249]);
    expect(run.accesses).toEqual([...BANNER, inW(0x10), ...BLACKLISTED, ...DISKS_2026, ...NICS]);
    expect(run.result).toEqual({ verdict: 'completed', blacklisted: true, masks: [9, 2] });
  });

  it('0xd249 on the re-read: logs BLACKLISTED and unplugs anyway', () => {
    const run = play(winPvDriver(), [0x49d2, 1, 0xd249]);
    expect(run.accesses).toEqual([
      ...BANNER,
      ...WIN_HANDSHAKE,
      ...BLACKLISTED,
      ...DISKS_2026,
      ...NICS,
    ]);
    expect(run.result.blacklisted).toBe(true);
  });

  it('a re-read other than 0xd249 is not a blacklist answer for win-pv', () => {
    const run = play(winPvDriver(), [0x49d2, 1, 0x1234]);
    expect(run.accesses).toEqual([
      ...BANNER,
      ...WIN_HANDSHAKE,
      ...NOT_BLACKLISTED,
      ...DISKS_2026,
      ...NICS,
    ]);
  });

  it('version 0: no product or build, straight to the masks', () => {
    const run = play(winPvDriver(), [0x49d2, 0]);
    expect(run.accesses).toEqual([
      ...BANNER,
      inW(0x10),
      inB(0x12),
      ...NOT_BLACKLISTED,
      ...DISKS_2026,
      ...NICS,
    ]);
  });

  it('any non-zero version counts as >= 1', () => {
    const run = play(winPvDriver(), [0x49d2, 7, 0x49d2]);
    expect(run.accesses).toEqual([
      ...BANNER,
      ...WIN_HANDSHAKE,
      ...NOT_BLACKLISTED,
      ...DISKS_2026,
      ...NICS,
    ]);
  });

  it('a wrong magic fails the preamble, yet a free build still writes the masks', () => {
    const run = play(winPvDriver(), [0xffff]);
    expect(run.accesses).toEqual([...BANNER, inW(0x10), ...DISKS_2026, ...NICS]);
    expect(run.result).toEqual({ verdict: 'no-platform', blacklisted: false, masks: [9, 2] });
  });

  it.each<[string, Parameters<typeof winPvDriver>[0], ReturnType<typeof outW>[], number[]]>([
    [
      'pre-2026 disks',
      { release: 'pre-2026' },
      [outW(0x10, 1), ...logLine('UNPLUG: DISKS\n'), ...NICS],
      [1, 2],
    ],
    [
      'BOOT_EMULATED',
      { bootEmulated: true },
      [outW(0x10, 4), ...logLine('UNPLUG: AUX DISKS\n'), ...NICS],
      [4, 2],
    ],
    ['disks only', { nics: false }, DISKS_2026, [9]],
    ['NICs only', { disks: false }, NICS, [2]],
    ['nothing requested', { disks: false, nics: false }, [], []],
  ])('%s', (_name, options, unplug, masks) => {
    const run = play(winPvDriver(options), [0x49d2, 1, 0x49d2]);
    expect(run.accesses).toEqual([...BANNER, ...WIN_HANDSHAKE, ...NOT_BLACKLISTED, ...unplug]);
    expect(run.result.masks).toEqual(masks);
  });

  it('resume: no banner; a blacklist seen before stays in the log line', () => {
    const run = play(
      winPvDriver({ phase: 'resume', alreadyBlacklisted: true }),
      [0x49d2, 1, 0x49d2],
    );
    expect(run.accesses).toEqual([...WIN_HANDSHAKE, ...BLACKLISTED, ...DISKS_2026, ...NICS]);
    expect(run.result.blacklisted).toBe(true);
  });

  it('sends its version as the build and cuts log messages at the 256-byte slot', () => {
    const long = `${'x'.repeat(300)}\n`;
    const options = {
      version: { major: 8, minor: 2, micro: 1 },
      banner: [long],
      disks: false,
      nics: false,
    };
    const run = play(winPvDriver(options), [0x49d2, 1, 0x49d2]);
    expect(run.accesses).toEqual([
      ...logLine('x'.repeat(256)),
      inW(0x10),
      inB(0x12),
      outW(0x12, 0xffff),
      outL(0x10, 524801),
      inW(0x10),
      ...NOT_BLACKLISTED,
    ]);
  });
});

const T0 = 13_411_699_200_000;
const GPLPV_HANDSHAKE = [inW(0x10), inB(0x12), outW(0x12, 2), outL(0x10, 1), inW(0x10)];

/** A clock that moves on 1 ms per line, so each line's prefix shows when it was read. */
function ticking(start = T0) {
  let now = start;
  return () => now++;
}

describe('gplpvDriver (xenpci)', () => {
  it('boot: magic, version logged, product 2, build 1, re-read, mask 3 logged', () => {
    const run = play(gplpvDriver({ systemTimeMs: ticking() }), [0x49d2, 1, 0x49d2]);
    expect(run.accesses).toEqual([
      inW(0x10),
      inB(0x12),
      ...logLine(`${T0}: qemu version = 1\n`),
      outW(0x12, 2),
      outL(0x10, 1),
      inW(0x10),
      outW(0x10, 3),
      ...logLine(`${T0 + 1}: disabled qemu devices 03\n`),
    ]);
    expect(run.result).toEqual({ verdict: 'completed', blacklisted: false, masks: [3] });
    expect(run.unread).toBe(0);
  });

  it.each([0xd249, 0x0000])('re-read %i: "qemu we are blacklisted", no mask', (reread) => {
    const run = play(gplpvDriver({ systemTimeMs: ticking() }), [0x49d2, 1, reread]);
    const [magic, version, ...rest] = GPLPV_HANDSHAKE;
    expect(run.accesses).toEqual([
      magic,
      version,
      ...logLine(`${T0}: qemu version = 1\n`),
      ...rest,
      ...logLine(`${T0 + 1}: qemu we are blacklisted\n`),
    ]);
    expect(run.result).toEqual({ verdict: 'blacklisted', blacklisted: true, masks: [] });
  });

  it('version 0: accepted, straight to the mask', () => {
    const run = play(gplpvDriver({ systemTimeMs: ticking() }), [0x49d2, 0]);
    expect(run.accesses).toEqual([
      inW(0x10),
      inB(0x12),
      ...logLine(`${T0}: qemu version = 0\n`),
      outW(0x10, 3),
      ...logLine(`${T0 + 1}: disabled qemu devices 03\n`),
    ]);
  });

  it('version 2: "unknown qemu version 2", no mask', () => {
    const run = play(gplpvDriver({ systemTimeMs: ticking() }), [0x49d2, 2]);
    expect(run.accesses).toEqual([
      inW(0x10),
      inB(0x12),
      ...logLine(`${T0}: qemu version = 2\n`),
      ...logLine(`${T0 + 1}: unknown qemu version 2\n`),
    ]);
    expect(run.result.verdict).toBe('version-unsupported');
  });

  it('wrong magic: silent', () => {
    const run = play(gplpvDriver(), [0xd249]);
    expect(run.accesses).toEqual([inW(0x10)]);
    expect(run.result.verdict).toBe('no-platform');
  });

  it('resume rewrites only the mask', () => {
    const run = play(gplpvDriver({ phase: 'resume' }));
    expect(run.accesses).toEqual([outW(0x10, 3), ...logLine(`${T0}: disabled qemu devices 03\n`)]);
  });

  it('not configured to hide qemu devices: touches no port', () => {
    expect(play(gplpvDriver({ hideQemu: false })).accesses).toEqual([]);
  });

  it.each<[number[], number, string]>([
    [[1], 1, '01'],
    [[], 0, '00'],
    [[1, 2, 4], 7, '07'],
    [[0x123], 0x123, '123'],
  ])('qemu_hide_flags %j: mask %i logged as %s', (flags, mask, logged) => {
    const run = play(gplpvDriver({ phase: 'resume', qemuHideFlags: flags }));
    expect(run.accesses).toEqual([
      outW(0x10, mask),
      ...logLine(`${T0}: disabled qemu devices ${logged}\n`),
    ]);
  });

  it('a system time of 0 prints no digits before ": "', () => {
    const run = play(gplpvDriver({ phase: 'resume', systemTimeMs: () => 0 }));
    expect(run.accesses).toEqual([outW(0x10, 3), ...logLine(': disabled qemu devices 03\n')]);
  });
});
