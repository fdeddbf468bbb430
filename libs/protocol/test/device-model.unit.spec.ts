import { describe, expect, it } from 'vitest';
import {
  createDeviceModel,
  Effect,
  PROFILES,
  type ProfileName,
  type Width,
} from '@magicport/protocol';

const PORTS = Array.from({ length: 16 }, (_, i) => 0x10 + i);
const WIDTHS: Width[] = [1, 2, 4];

/** What a fresh device model answers to every read of 0x10-0x1f (flags 0, nothing blacklisted). */
function expectedRead(profile: ProfileName, port: number, size: Width): number {
  if (size === 4) return 0xffffffff;
  if (size === 1) return port === 0x10 ? 0 : port === 0x12 ? 1 : 0xff;
  if (port === 0x10) return 0x49d2;
  // qemu-dm default readw at 0x11 = readb(0x11) | readb(0x12) << 8.
  return profile === 'qemu-traditional' && port === 0x11 ? 0x01ff : 0xffff;
}

function lookupLog(listed: readonly string[] = []) {
  const asked: string[] = [];
  return { asked, lookup: (key: string) => (asked.push(key), listed.includes(key)) };
}

describe.each(PROFILES)('device model %s', (profile) => {
  it.each(PORTS.flatMap((port) => WIDTHS.map((size) => [port, size] as const)))(
    'answers a read of port %i, width %i, as the reference',
    (port, size) => {
      const dm = createDeviceModel({ profile });
      expect(dm.access('in', port, size, undefined)).toBe(expectedRead(profile, port, size));
    },
  );

  it.each([0x0f, 0x20, 0x80, 0xe9])('leaves port %i to the rest of the machine', (port) => {
    const dm = createDeviceModel({ profile });
    expect([1, 2, 4].map((size) => dm.access('in', port, size, undefined))).toEqual([
      0xff, 0xffff, 0xffffffff,
    ]);
    expect(dm.effect).toBe(Effect.Outside);
    expect(dm.access('out', port, 2, 3)).toBe(-1);
    expect(dm.effect).toBe(Effect.Outside);
  });

  it('keeps only bit 0 (ROM lock) of the platform flags', () => {
    const dm = createDeviceModel({ profile });
    dm.access('out', 0x10, 1, 0xff);
    expect([dm.effect, dm.effectValue]).toEqual([Effect.FlagsWrite, 1]);
    expect(dm.access('in', 0x10, 1, undefined)).toBe(1);
  });

  it('classifies what each write means', () => {
    const dm = createDeviceModel({ profile });
    const effectOf = (port: number, size: Width, value: number) => {
      dm.access('out', port, size, value);
      return [dm.effect, dm.effectValue];
    };
    expect(effectOf(0x12, 1, 0x41)).toEqual([Effect.LogByte, 0x41]);
    expect(effectOf(0x12, 2, 0x10003)).toEqual([Effect.ProductWrite, 3]);
    expect(effectOf(0x10, 4, 2 ** 32 + 7)).toEqual([Effect.BuildWrite, 7]);
    expect(effectOf(0x10, 2, 0x12345)).toEqual([Effect.MaskWrite, 0x2345]);
    expect(effectOf(0x12, 4, 1)[0]).toBe(Effect.UnexpectedWidth);
    expect(effectOf(0x13, 1, 1)[0]).toBe(Effect.UnknownPort);
    expect(effectOf(0x1f, 4, 1)[0]).toBe(Effect.UnknownPort);
  });

  it('reads an out without a value as 0 and never throws on nonsense', () => {
    const dm = createDeviceModel({ profile });
    dm.access('out', 0x10, 2, undefined);
    expect([dm.effect, dm.effectValue]).toEqual([Effect.MaskWrite, 0]);
    expect(dm.access('in', Number.NaN, 2, undefined)).toBe(0xffff);
    expect(dm.access('in', 0x10, 3 as Width, undefined)).toBe(0xffffffff);
    expect(dm.effect).toBe(Effect.UnexpectedWidth);
    expect(dm.access('out', 0x10, 2, -1)).toBe(-1);
    expect(dm.effectValue).toBe(0xffff);
  });

  it('treats a lookup that throws as not blacklisted', () => {
    const dm = createDeviceModel({
      profile,
      blacklist: () => {
        throw new Error('xenstore down');
      },
    });
    dm.access('out', 0x12, 2, 1);
    dm.access('out', 0x10, 4, 1);
    expect(dm.access('in', 0x10, 2, undefined)).toBe(0x49d2);
  });
});

describe('spec device model', () => {
  it('looks up /mh/driver-blacklist/{name}/{build} for every registered product', () => {
    for (const [product, name] of [
      [1, 'xensource-windows'],
      [3, 'linux'],
      [5, 'xenserver-windows-v7.2+'],
      [0xffff, 'experimental'],
    ] as const) {
      const { asked, lookup } = lookupLog();
      const dm = createDeviceModel({ profile: 'spec', blacklist: lookup });
      dm.access('out', 0x12, 2, product);
      dm.access('out', 0x10, 4, 0x80000000);
      expect(asked).toEqual([`/mh/driver-blacklist/${name}/2147483648`]);
      expect(dm.blacklistKey).toBe(asked[0]);
    }
  });

  it('cannot blacklist an unregistered product, product 0 or a build before any product', () => {
    const asked: string[] = [];
    const dm = createDeviceModel({ profile: 'spec', blacklist: (key) => (asked.push(key), true) });
    dm.access('out', 0x10, 4, 1);
    dm.access('out', 0x12, 2, 0);
    dm.access('out', 0x10, 4, 1);
    dm.access('out', 0x12, 2, 6);
    dm.access('out', 0x10, 4, 1);
    expect(asked).toEqual([]);
    expect(dm.access('in', 0x10, 2, undefined)).toBe(0x49d2);
  });

  it('answers 0xd249 once the build is listed, until a new product is written or the device resets', () => {
    const dm = createDeviceModel({
      profile: 'spec',
      blacklist: (key) => key === '/mh/driver-blacklist/linux/1',
    });
    dm.access('out', 0x12, 2, 3);
    dm.access('out', 0x10, 4, 1);
    expect(dm.access('in', 0x10, 2, undefined)).toBe(0xd249);
    expect(dm.blacklistKey).toBe('/mh/driver-blacklist/linux/1');
    dm.access('out', 0x12, 2, 3);
    expect(dm.access('in', 0x10, 2, undefined)).toBe(0x49d2);
    dm.access('out', 0x10, 4, 1);
    dm.reset();
    expect(dm.access('in', 0x10, 2, undefined)).toBe(0x49d2);
  });

  it('answers 0xd249 to the re-check only: the next magic read starts over with 0x49d2', () => {
    const dm = createDeviceModel({
      profile: 'spec',
      blacklist: (key) => key === '/mh/driver-blacklist/linux/1',
      enforceBlacklist: true,
    });
    dm.access('out', 0x12, 2, 3);
    dm.access('out', 0x10, 4, 1);
    expect(dm.access('in', 0x10, 2, undefined)).toBe(0xd249);
    dm.access('out', 0x10, 2, 3);
    expect(dm.applied).toBe(false);
    // resume: the driver begins the protocol again
    expect(dm.access('in', 0x10, 2, undefined)).toBe(0x49d2);
    expect(dm.blacklistKey).toBe(null);
    dm.access('out', 0x12, 2, 3);
    dm.access('out', 0x10, 4, 1);
    expect(dm.access('in', 0x10, 2, undefined)).toBe(0xd249);
  });

  it("keeps ignoring a blacklisted driver's mask-only rewrite (no new magic read) under enforcement", () => {
    const dm = createDeviceModel({
      profile: 'spec',
      blacklist: () => true,
      enforceBlacklist: true,
    });
    dm.access('out', 0x12, 2, 2);
    dm.access('out', 0x10, 4, 1);
    expect(dm.access('in', 0x10, 2, undefined)).toBe(0xd249);
    dm.access('out', 0x10, 2, 3);
    expect(dm.applied).toBe(false);
  });

  it('ignores the mask of a blacklisted driver only with enforcement', () => {
    for (const enforceBlacklist of [false, true]) {
      const dm = createDeviceModel({ profile: 'spec', blacklist: () => true, enforceBlacklist });
      dm.access('out', 0x12, 2, 3);
      dm.access('out', 0x10, 4, 1);
      dm.access('out', 0x10, 2, 3);
      expect(dm.applied).toBe(!enforceBlacklist);
    }
  });

  it('forgets the platform flags at reset, as QEMU platform_reset does', () => {
    const dm = createDeviceModel({ profile: 'spec' });
    dm.access('out', 0x10, 1, 1);
    dm.reset();
    expect(dm.access('in', 0x10, 1, undefined)).toBe(0);
  });
});

describe('qemu-upstream device model', () => {
  it('never blacklists and ignores the build', () => {
    const { asked, lookup } = lookupLog(['/mh/driver-blacklist/xensource-windows/1']);
    const dm = createDeviceModel({ profile: 'qemu-upstream', blacklist: lookup });
    dm.access('out', 0x12, 2, 1);
    dm.access('out', 0x10, 4, 1);
    expect([dm.effect, dm.applied, dm.blacklistKey]).toEqual([Effect.BuildWrite, false, null]);
    expect(dm.access('in', 0x10, 2, undefined)).toBe(0x49d2);
    expect(asked).toEqual([]);
  });

  it('ignores writew at 0x11', () => {
    const dm = createDeviceModel({ profile: 'qemu-upstream' });
    dm.access('out', 0x11, 2, 0x4142);
    expect(dm.effect).toBe(Effect.UnknownPort);
  });
});

describe('qemu-traditional device model', () => {
  const listed =
    (...keys: string[]) =>
    (key: string) =>
      keys.includes(key);

  it('knows only products 1, 2 and 0xffff and prints the build with %d', () => {
    const { asked, lookup } = lookupLog();
    const dm = createDeviceModel({ profile: 'qemu-traditional', blacklist: lookup });
    for (const product of [1, 2, 3, 4, 5, 0xffff, 0x1234]) {
      dm.access('out', 0x12, 2, product);
      dm.access('out', 0x10, 4, 0xfffffffe);
    }
    expect(asked).toEqual([
      '/mh/driver-blacklist/xensource-windows/-2',
      '/mh/driver-blacklist/gplpv-windows/-2',
      '/mh/driver-blacklist/experimental/-2',
    ]);
  });

  it('refuses a build written before any product (product 0)', () => {
    const { asked, lookup } = lookupLog();
    const dm = createDeviceModel({ profile: 'qemu-traditional', blacklist: lookup });
    dm.access('out', 0x10, 4, 1);
    expect([dm.effect, dm.applied]).toEqual([Effect.BuildWrite, false]);
    dm.access('out', 0x12, 2, 1);
    dm.access('out', 0x12, 2, 0);
    dm.access('out', 0x10, 4, 1);
    expect([dm.applied, asked]).toEqual([false, []]);
  });

  it('keeps answering 0xd249 for the life of the instance', () => {
    const dm = createDeviceModel({
      profile: 'qemu-traditional',
      blacklist: listed('/mh/driver-blacklist/gplpv-windows/1'),
    });
    dm.access('out', 0x12, 2, 2);
    dm.access('out', 0x10, 4, 1);
    expect(dm.access('in', 0x10, 2, undefined)).toBe(0xd249);
    dm.access('out', 0x12, 2, 1);
    dm.access('out', 0x10, 4, 99);
    dm.reset();
    expect(dm.access('in', 0x10, 2, undefined)).toBe(0xd249);
    expect(dm.blacklistKey).toBe('/mh/driver-blacklist/gplpv-windows/1');
  });

  it('does not enforce: a blacklisted driver still unplugs', () => {
    const dm = createDeviceModel({
      profile: 'qemu-traditional',
      blacklist: () => true,
      enforceBlacklist: true,
    });
    dm.access('out', 0x12, 2, 1);
    dm.access('out', 0x10, 4, 1);
    dm.access('out', 0x10, 2, 3);
    expect(dm.applied).toBe(true);
  });

  it('logs the high byte of a writew at 0x11 and drops writel away from 0x10', () => {
    const dm = createDeviceModel({ profile: 'qemu-traditional' });
    dm.access('out', 0x11, 2, 0x4142);
    expect([dm.effect, dm.effectValue]).toEqual([Effect.LogByte, 0x41]);
    dm.access('out', 0x14, 4, 1);
    expect(dm.effect).toBe(Effect.UnknownPort);
    dm.access('out', 0x13, 2, 0x4142);
    expect(dm.effect).toBe(Effect.UnknownPort);
  });

  it('keeps the platform flags across reset (process-global state)', () => {
    const dm = createDeviceModel({ profile: 'qemu-traditional' });
    dm.access('out', 0x10, 1, 1);
    dm.reset();
    expect(dm.access('in', 0x10, 1, undefined)).toBe(1);
  });
});

describe('createDeviceModel', () => {
  it('names the profiles it knows when given another', () => {
    expect(() => createDeviceModel({ profile: 'xen' as ProfileName })).toThrow(
      'unknown device-model profile "xen" (expected one of spec, qemu-traditional, qemu-upstream)',
    );
  });
});
