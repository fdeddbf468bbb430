import { describe, expect, it } from 'vitest';
import { inSequence, linuxDriver, parseXenEmulUnplug } from '@magicport/protocol';
import { inB, inW, outL, outW, play } from './drivers-harness';

const warn = (rest: string) => `unrecognised option '${rest}' in parameter 'xen_emul_unplug'`;

describe('parseXenEmulUnplug (xen_emul_unplug=)', () => {
  it.each<[string | null | undefined, number, string[]]>([
    [undefined, 0, []],
    [null, 0, []],
    ['all', 7, []],
    ['a', 7, []],
    ['al', 7, []],
    ['alls', 0, [warn('alls')]],
    ['ide-disks', 1, []],
    ['ide', 1, []],
    ['i', 1, []],
    ['ide-disks-x', 0, [warn('ide-disks-x')]],
    ['disks', 0, [warn('disks')]],
    ['aux-ide-disks', 4, []],
    ['aux', 4, []],
    ['aux-ide', 4, []],
    ['nics', 2, []],
    ['nic', 2, []],
    ['n', 2, []],
    ['ne', 16, []],
    ['nev', 16, []],
    ['never', 16, []],
    ['unnecessary', 8, []],
    ['u', 8, []],
    ['NICS', 0, [warn('NICS')]],
    // An empty token is a prefix of "all".
    ['', 7, []],
    ['nics,', 7, []],
    [',nics', 7, []],
    ['nics,,ide', 7, []],
    ['nics,ide-disks', 3, []],
    ['ide-disks,aux-ide-disks', 5, []],
    ['nics,unnecessary', 10, []],
    ['never,all', 23, []],
    ['nics,foo', 2, [warn('foo')]],
    // The kernel prints the rest of the string, since tokens are not NUL-terminated.
    ['foo,nics', 2, [warn('foo,nics')]],
    ['x,y', 0, [warn('x,y'), warn('y')]],
  ])('%j -> flags %i', (value, flags, warnings) => {
    expect(parseXenEmulUnplug(value)).toEqual({ flags, warnings });
  });
});

const HANDSHAKE = [inW(0x10), inB(0x12), outW(0x12, 3), outL(0x10, 1), inW(0x10)];

describe('linuxDriver', () => {
  it('given magic, version 1 and the magic again, writes product 3, build 1 and mask 3', () => {
    const run = play(linuxDriver(), [0x49d2, 1, 0x49d2]);
    expect(run.accesses).toEqual([...HANDSHAKE, outW(0x10, 3)]);
    expect(run.result).toEqual({ verdict: 'completed', blacklisted: false, masks: [3] });
    expect(run.unread).toBe(0);
  });

  it('given a wrong magic, reads nothing more', () => {
    const run = play(linuxDriver(), [0xffff]);
    expect(run.accesses).toEqual([inW(0x10)]);
    expect(run.result.verdict).toBe('no-platform');
  });

  it.each([0, 2, 0xff])('given protocol version %i, stops after the version read', (version) => {
    const run = play(linuxDriver(), [0x49d2, version]);
    expect(run.accesses).toEqual([inW(0x10), inB(0x12)]);
    expect(run.result).toEqual({ verdict: 'version-unsupported', blacklisted: false, masks: [] });
  });

  it.each([0xd249, 0x1234, 0xffff])(
    'given re-read %i, is blacklisted and writes no mask',
    (reread) => {
      const run = play(linuxDriver(), [0x49d2, 1, reread]);
      expect(run.accesses).toEqual(HANDSHAKE);
      expect(run.result).toEqual({ verdict: 'blacklisted', blacklisted: true, masks: [] });
    },
  );

  it.each<[string, Parameters<typeof linuxDriver>[0], number]>([
    ['no option, both frontends', {}, 3],
    ['no option, no frontends', { netfront: false, blkfront: false }, 0],
    ['no option, netfront only', { blkfront: false }, 2],
    ['no option, blkfront only', { netfront: false }, 1],
    ['all', { xenEmulUnplug: 'all' }, 7],
    ['trailing comma', { xenEmulUnplug: 'nics,' }, 7],
    ['nics without frontends', { xenEmulUnplug: 'nics', netfront: false, blkfront: false }, 2],
    ['aux-ide-disks', { xenEmulUnplug: 'aux-ide-disks' }, 4],
    ['only an unknown option falls back to the frontends', { xenEmulUnplug: 'foo' }, 3],
  ])('%s: writes mask %i', (_name, options, mask) => {
    const run = play(linuxDriver(options), [0x49d2, 1, 0x49d2]);
    expect(run.accesses).toEqual([...HANDSHAKE, outW(0x10, mask)]);
    expect(run.result.masks).toEqual([mask]);
  });

  it('unnecessary: completes the handshake and writes no mask', () => {
    const run = play(linuxDriver({ xenEmulUnplug: 'unnecessary' }), [0x49d2, 1, 0x49d2]);
    expect(run.accesses).toEqual(HANDSHAKE);
    expect(run.result).toEqual({ verdict: 'completed', blacklisted: false, masks: [] });
  });

  it('unnecessary on a wrong magic: carries on but has nothing to write', () => {
    const run = play(linuxDriver({ xenEmulUnplug: 'unnecessary' }), [0x1111]);
    expect(run.accesses).toEqual([inW(0x10)]);
    expect(run.result.verdict).toBe('no-platform');
  });

  it.each<[string, Parameters<typeof linuxDriver>[0]]>([
    ['never', { xenEmulUnplug: 'never' }],
    ['ne (prefix of never, after nics fails to match)', { xenEmulUnplug: 'ne' }],
    ['never with others', { xenEmulUnplug: 'all,never' }],
    ['PVH', { pvh: true }],
  ])('%s: touches no port', (_name, options) => {
    const run = play(linuxDriver(options));
    expect(run.accesses).toEqual([]);
    expect(run.result).toEqual({ verdict: 'inactive', blacklisted: false, masks: [] });
  });

  it('resume repeats the whole handshake', () => {
    const answers = [0x49d2, 1, 0x49d2, 0x49d2, 1, 0x49d2];
    const run = play(inSequence(linuxDriver(), linuxDriver()), answers);
    expect(run.accesses).toEqual([...HANDSHAKE, outW(0x10, 3), ...HANDSHAKE, outW(0x10, 3)]);
    expect(run.unread).toBe(0);
  });
});
