import { describe, expect, it } from 'vitest';
import {
  createDriver,
  DRIVER_NAMES,
  freebsdDriver,
  inSequence,
  kernelVersion,
  openbsdDriver,
  parseDevUnplug,
  rombiosPost,
  runDriver,
  unmodifiedDriver,
  type DriverRun,
  type DriverSpec,
  type PortIo,
} from '@magicport/protocol';
import { inB, inW, outB, outL, outW, play } from './drivers-harness';

describe('freebsdDriver', () => {
  it.each<[string, Parameters<typeof freebsdDriver>[0], ReturnType<typeof outW>[]]>([
    ['defaults: disks and NICs', {}, [outW(0x10, 3)]],
    ['hw.xen.disable_pv_disks', { disablePvDisks: true }, [outW(0x10, 2)]],
    ['hw.xen.disable_pv_nics', { disablePvNics: true }, [outW(0x10, 1)]],
    ['both disabled: no mask write', { disablePvDisks: true, disablePvNics: true }, []],
  ])('%s', (_name, options, writes) => {
    const run = play(freebsdDriver(options), [0x49d2]);
    expect(run.accesses).toEqual([inW(0x10), ...writes]);
    expect(run.result.verdict).toBe('completed');
  });

  it('knows no blacklist answer: 0xd249 is a mismatch, and it stays silent', () => {
    const run = play(freebsdDriver(), [0xd249]);
    expect(run.accesses).toEqual([inW(0x10)]);
    expect(run.result).toEqual({ verdict: 'no-platform', blacklisted: false, masks: [] });
  });

  it('PV domain: touches no port', () => {
    expect(play(freebsdDriver({ pv: true })).accesses).toEqual([]);
  });
});

describe('openbsdDriver', () => {
  it.each<[Parameters<typeof openbsdDriver>[0], ReturnType<typeof outW>[]]>([
    [{}, [outW(0x10, 3)]],
    [{ unplugIdeSecondary: true }, [outW(0x10, 7)]],
    [{ unplugIde: false }, [outW(0x10, 2)]],
    [{ unplugIde: false, unplugNic: false }, []],
  ])('%j', (options, writes) => {
    expect(play(openbsdDriver(options), [0x49d2]).accesses).toEqual([inW(0x10), ...writes]);
  });

  it('wrong magic: no mask', () => {
    expect(play(openbsdDriver(), [0]).result.verdict).toBe('no-platform');
  });
});

const BUILD_2_6_32 = 0x02062000;

describe('parseDevUnplug (dev_unplug=)', () => {
  const warn = (token: string) => `unrecognised option '${token}' in module parameter 'dev_unplug'`;
  it.each<[string | undefined, number, string[]]>([
    [undefined, 7, []],
    ['all', 7, []],
    ['ide-disks', 1, []],
    ['aux-ide-disks', 4, []],
    ['nics', 2, []],
    ['never', 0, []],
    ['ide-disks,nics', 3, []],
    ['never,nics', 2, []],
    ['nics,never', 0, []],
    ['', 0, [warn('')]],
    ['a', 0, [warn('a')]],
    // Only the first comma splits (strchr on the start of the string).
    ['ide-disks,nics,aux-ide-disks', 1, [warn('nics,aux-ide-disks')]],
  ])('%j -> %i', (value, flags, warnings) => {
    expect(parseDevUnplug(value)).toEqual({ flags, warnings });
  });
});

describe('unmodifiedDriver (Xen unmodified_drivers platform-pci)', () => {
  const handshake = [inW(0x10), inB(0x12), outW(0x12, 0xffff), outL(0x10, BUILD_2_6_32), inW(0x10)];

  it('version 1: product 0xffff, build LINUX_VERSION_CODE << 8, then falls through to the mask', () => {
    expect(kernelVersion(2, 6, 32) * 256).toBe(BUILD_2_6_32);
    const run = play(unmodifiedDriver(), [0x49d2, 1, 0x49d2]);
    expect(run.accesses).toEqual([...handshake, outW(0x10, 7)]);
    expect(run.result).toEqual({ verdict: 'completed', blacklisted: false, masks: [7] });
  });

  it('blacklisted: no mask', () => {
    const run = play(unmodifiedDriver(), [0x49d2, 1, 0xd249]);
    expect(run.accesses).toEqual(handshake);
    expect(run.result.verdict).toBe('blacklisted');
  });

  it('version 0: straight to the mask', () => {
    expect(play(unmodifiedDriver(), [0x49d2, 0]).accesses).toEqual([
      inW(0x10),
      inB(0x12),
      outW(0x10, 7),
    ]);
  });

  it('version 2: "failed backend handshake", nothing written', () => {
    const run = play(unmodifiedDriver(), [0x49d2, 2]);
    expect(run.accesses).toEqual([inW(0x10), inB(0x12)]);
    expect(run.result.verdict).toBe('version-unsupported');
  });

  it('dev_unplug=never still writes mask 0; kernel 4.19 sends build 0x04130000', () => {
    const options = { devUnplug: 'never', linuxVersionCode: kernelVersion(4, 19, 0) };
    const run = play(unmodifiedDriver(options), [0x49d2, 1, 0x49d2]);
    expect(run.accesses).toEqual([
      inW(0x10),
      inB(0x12),
      outW(0x12, 0xffff),
      outL(0x10, 0x04130000),
      inW(0x10),
      outW(0x10, 0),
    ]);
  });

  it('a platform BAR shorter than 0x16: "backend too old", no access', () => {
    expect(play(unmodifiedDriver({ platformIoLength: 0x10 })).accesses).toEqual([]);
  });
});

describe('rombiosPost', () => {
  it('unlocks then locks the ROM area through the platform flags byte', () => {
    expect(play(rombiosPost()).accesses).toEqual([outB(0x10, 0), outB(0x10, 1)]);
  });
});

describe('runDriver', () => {
  it('times each access on the step clock and passes reads back to the driver', () => {
    const seen: string[] = [];
    const io: PortIo = {
      access(op, port, size, value, timeUs) {
        seen.push(`${timeUs} ${op} ${port}/${size} ${value ?? '-'}`);
        return op === 'in' ? 0x49d2 : -1;
      },
    };
    const trace = runDriver(freebsdDriver(), io, { startUs: 1000, stepUs: 250 });
    expect(seen).toEqual(['1000 in 16/2 -', '1250 out 16/2 3']);
    expect(trace.accesses).toEqual([
      { op: 'in', port: 16, size: 2, timeUs: 1000, response: 0x49d2 },
      { op: 'out', port: 16, size: 2, value: 3, timeUs: 1250, response: -1 },
    ]);
    expect(trace.endUs).toBe(1500);
    expect(trace.result.masks).toEqual([3]);
  });

  it('a read answered with undefined reads all-ones, as an unclaimed port does', () => {
    const io = { access: () => undefined as unknown as number };
    expect(runDriver(freebsdDriver(), io).result.verdict).toBe('no-platform');
  });

  it('stops a run that never ends, naming the limit', () => {
    function* forever() {
      for (;;) yield inW(0x10);
    }
    const io: PortIo = { access: () => 0 };
    expect(() => runDriver(forever(), io, { maxAccesses: 5 })).toThrow(
      'driver run exceeded 5 accesses (last at t=5 us)',
    );
  });

  it('expands a string write (`rep outsb`) into one 1-byte out per char, low byte, on the clock', () => {
    function* driver(): DriverRun<number> {
      yield { op: 'outs', port: 0x12, text: 'A\u0142\n' }; // a char above 0xff: its low byte
      return ((yield { op: 'in', port: 0x10, size: 2 }) ?? 0) + 1;
    }
    const seen: string[] = [];
    const io: PortIo = {
      access(op, port, size, value, timeUs) {
        seen.push(`${timeUs} ${op} ${port}/${size} ${value ?? '-'}`);
        return op === 'in' ? 7 : -1;
      },
    };
    const trace = runDriver(driver(), io, { startUs: 100, stepUs: 10 });
    expect(seen).toEqual([
      '100 out 18/1 65',
      '110 out 18/1 66',
      '120 out 18/1 10',
      '130 in 16/2 -',
    ]);
    expect(trace.accesses.map(({ op, value, timeUs }) => [op, value, timeUs])).toEqual([
      ['out', 65, 100],
      ['out', 66, 110],
      ['out', 10, 120],
      ['in', undefined, 130],
    ]);
    expect(trace.result).toBe(8);
    expect(trace.endUs).toBe(140);
  });

  it("counts a string write's bytes against the access limit", () => {
    function* chatty(): DriverRun {
      yield { op: 'outs', port: 0x12, text: 'x'.repeat(100) };
    }
    expect(() => runDriver(chatty(), { access: () => -1 }, { maxAccesses: 40 })).toThrow(
      'driver run exceeded 40 accesses (last at t=40 us)',
    );
  });

  it('inSequence runs a whole life: ROMBIOS, boot, resume', () => {
    const answers = [0x49d2, 0x49d2];
    const run = play(inSequence(rombiosPost(), freebsdDriver(), freebsdDriver()), answers);
    expect(run.accesses).toEqual([
      outB(0x10, 0),
      outB(0x10, 1),
      inW(0x10),
      outW(0x10, 3),
      inW(0x10),
      outW(0x10, 3),
    ]);
    expect(run.result).toHaveLength(3);
  });
});

describe('createDriver', () => {
  it('runs each named driver', () => {
    const firstAccess = DRIVER_NAMES.map((driver) => {
      const step = createDriver({ driver } as DriverSpec).next();
      return step.done ? null : step.value;
    });
    expect(firstAccess).toEqual([
      inW(0x10),
      // win-pv: its banner, one `rep outsb`, before any magic read
      { op: 'outs', port: 0x12, text: 'XEN|DllInitialize: 9.1.0 (0) (01.01.2026)\n' },
      inW(0x10),
      inW(0x10),
      inW(0x10),
      inW(0x10),
    ]);
  });

  it('rejects an unknown name from untyped input with the known names', () => {
    expect(() => createDriver({ driver: 'solaris' } as unknown as DriverSpec)).toThrow(
      'unknown reference driver "solaris"; known: linux, win-pv, gplpv, freebsd, openbsd, unmodified-drivers',
    );
  });
});
