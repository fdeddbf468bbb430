import { describe, expect, it } from 'vitest';
import { collectSession, PROFILES } from '@magicport/protocol';
import { outcome, sessionSpec } from './support/session-spec';
import {
  advanceTo,
  at,
  buildWrite,
  flagsRead,
  flagsWrite,
  logBytes,
  magicRead,
  maskWrite,
  preamble,
  productWrite,
  read,
  stop,
  versionRead,
  write,
} from './support/session-steps';

const LINUX = { number: 3, name: 'linux' };

describe.each(PROFILES)('handshake tracker on %s', (profile) => {
  const spec = sessionSpec({ profile });

  it('nothing happens for a magic read alone: the handshake stays open', () => {
    spec
      .given()
      .when(magicRead())
      .then({ responses: [0x49d2] });
  });

  it('nothing happens for flags, log bytes or ports outside 0x10-0x1f while idle', () => {
    spec
      .given()
      .when(flagsWrite(1), flagsRead(), logBytes('hi'), read(0x20, 1), write(0x80, 1, 1))
      .then({ responses: [1, 0xff] });
  });

  it('nothing happens at stop when no handshake is open', () => {
    spec.given(flagsWrite(0)).when(stop()).then({});
  });

  it('a stop closes the open handshake: the Linux handshake unplugs', () => {
    spec
      .given(preamble(3, 1), maskWrite(3))
      .when(stop())
      .then({
        handshakes: [
          {
            ...outcome({
              result: 'unplugged',
              protocolVersion: 1,
              product: LINUX,
              build: 1,
              mask: 3,
              maskWrites: [3],
              unplugApplied: true,
            }),
            handshakeId: 1,
            startUs: 0,
            endUs: 5,
            accessCount: 6,
            closedBy: 'stop',
            maskWritesOmitted: 0,
          },
        ],
      });
  });

  it('the magic read after the build write is the step-5 re-check, not a new handshake', () => {
    spec
      .given(magicRead(), versionRead(), productWrite(3), buildWrite(1))
      .when(magicRead())
      .then({ responses: [0x49d2] });
  });

  it('any other magic read closes the open handshake and opens the next', () => {
    spec
      .given(preamble(3, 1), maskWrite(3))
      .when(magicRead())
      .then({ handshakes: [{ result: 'unplugged', handshakeId: 1, closedBy: 'magic', endUs: 5 }] });
  });

  it('a repeated handshake (resume) gets the next id', () => {
    spec
      .given(preamble(3, 1), maskWrite(3))
      .when(preamble(3, 1), maskWrite(1), stop())
      .then({
        handshakes: [
          { handshakeId: 1, closedBy: 'magic', mask: 3 },
          { handshakeId: 2, closedBy: 'stop', mask: 1, startUs: 6, accessCount: 6 },
        ],
      });
  });

  it('an idle gap on event time closes the handshake at the next access', () => {
    spec
      .given(at(0, magicRead()), at(10, versionRead()))
      .when(at(5_000_011, flagsRead()))
      .then({
        handshakes: [
          { result: 'version-unsupported', closedBy: 'idle', endUs: 10, accessCount: 2 },
        ],
      });
  });

  it('nothing happens within the idle gap', () => {
    spec.given(at(0, magicRead())).when(advanceTo(5_000_000)).then({});
  });

  it('advance closes an idle handshake without an access', () => {
    spec
      .given(at(0, magicRead()))
      .when(advanceTo(5_000_001))
      .then({ handshakes: [{ result: 'abandoned', closedBy: 'idle', protocolVersion: null }] });
  });

  it('log bytes neither open nor extend a handshake', () => {
    spec
      .given(at(0, magicRead()), logBytes('ok\n'))
      .when(at(5_000_002, flagsRead()))
      .then({ handshakes: [{ closedBy: 'idle', endUs: 0, accessCount: 1, violations: [] }] });
  });

  it('a mask write opens a handshake when none is open (mask-only rewrite after resume)', () => {
    spec
      .given(preamble(2, 1), maskWrite(3), at(100_000_000, stop()))
      .when(maskWrite(3), stop())
      .then({
        handshakes: [
          outcome({
            result: 'unplugged',
            mask: 3,
            maskWrites: [3],
            unplugApplied: true,
            violations: ['mask-without-magic'],
          }),
        ],
      });
  });

  it('mask writes accumulate within one handshake (win-pv disks, then NICs)', () => {
    spec
      .given(preamble(0xffff, 590080), logBytes('UNPLUG: DISKS\n'), maskWrite(9))
      .when(logBytes('UNPLUG: NICS\n'), maskWrite(2), stop())
      .then({
        logLines: [{ text: 'UNPLUG: NICS', handshakeId: 1 }],
        handshakes: [
          {
            result: 'unplugged',
            mask: 11,
            maskWrites: [9, 2],
            unplug: { ideScsiDisks: true, nics: true, auxIdeDisks: false, nvmeDisks: true },
          },
        ],
      });
  });

  it('a zero mask is no-unplug (Linux without PV frontends)', () => {
    spec
      .given(preamble(3, 1))
      .when(maskWrite(0), stop())
      .then({
        handshakes: [
          outcome({
            result: 'no-unplug',
            protocolVersion: 1,
            product: LINUX,
            build: 1,
            maskWrites: [0],
            unplugApplied: true,
          }),
        ],
      });
  });

  it('a clean handshake without a mask is no-unplug (Linux xen_emul_unplug=unnecessary)', () => {
    spec
      .given(preamble(3, 1))
      .when(stop())
      .then({ handshakes: [{ result: 'no-unplug', maskWrites: [], violations: [] }] });
  });

  it('stopping after the version read is version-unsupported', () => {
    spec
      .given(magicRead(), versionRead())
      .when(stop())
      .then({ handshakes: [{ result: 'version-unsupported', protocolVersion: 1 }] });
  });

  it('stopping after the product write is abandoned', () => {
    spec
      .given(magicRead(), versionRead(), productWrite(3))
      .when(stop())
      .then({ handshakes: [outcome({ result: 'abandoned', protocolVersion: 1, product: LINUX })] });
  });

  it('reports every violation once, in first-seen order, carrying those seen while idle', () => {
    spec
      .given(logBytes('early\n'), read(0x13, 1), logBytes('x\n'))
      .when(productWrite(7), productWrite(9), buildWrite(1), maskWrite(0x13), read(0x10, 4), stop())
      .then({
        handshakes: [
          {
            result: 'unplugged',
            product: { number: 9, name: null },
            violations: [
              'log-before-magic',
              'unknown-port',
              'product-without-version',
              'unregistered-product',
              'mask-without-magic',
              'mask-without-recheck',
              'unknown-mask-bits',
              'unexpected-width',
            ],
          },
        ],
      });
  });

  it('build-before-product and mask-without-version', () => {
    spec
      .given(magicRead())
      .when(buildWrite(1), magicRead(), maskWrite(1), stop())
      .then({
        handshakes: [{ build: 1, violations: ['build-before-product', 'mask-without-version'] }],
      });
  });

  it('FreeBSD: magic then mask is mask-without-version', () => {
    spec
      .given(magicRead())
      .when(maskWrite(3), stop())
      .then({ handshakes: [{ result: 'unplugged', violations: ['mask-without-version'] }] });
  });

  it('logging after a magic read is allowed; a stop requires a new magic read', () => {
    spec
      .given(magicRead(), logBytes('fine\n'), stop())
      .when(logBytes('late\n'), magicRead(), stop())
      .then({
        logLines: [{ text: 'late', handshakeId: null }],
        handshakes: [{ violations: ['log-before-magic'] }],
      });
  });

  it('violations of a boot that never handshook are dropped at stop', () => {
    spec
      .given(read(0x13, 1), stop())
      .when(magicRead(), stop())
      .then({ handshakes: [{ violations: [] }] });
  });
});

describe('handshake tracker: blacklisting', () => {
  const listed = (key: string) => (k: string) => k === key;

  it('spec: Linux honours 0xd249 -> blacklisted, with the key', () => {
    sessionSpec({ profile: 'spec', blacklist: listed('/mh/driver-blacklist/linux/1') })
      .given(magicRead(), versionRead(), productWrite(3), buildWrite(1))
      .when(magicRead(), stop())
      .then({
        responses: [0xd249],
        handshakes: [
          outcome({
            result: 'blacklisted',
            protocolVersion: 1,
            product: LINUX,
            build: 1,
            blacklisted: true,
            blacklistKey: '/mh/driver-blacklist/linux/1',
          }),
        ],
      });
  });

  it('spec with enforcement: win-pv unplugs anyway -> blacklist-ignored, not applied', () => {
    sessionSpec({
      profile: 'spec',
      blacklist: listed('/mh/driver-blacklist/experimental/590080'),
      enforceBlacklist: true,
    })
      .given(preamble(0xffff, 590080))
      .when(maskWrite(9), maskWrite(2), stop())
      .then({
        handshakes: [
          {
            result: 'blacklist-ignored',
            blacklisted: true,
            unplugApplied: false,
            mask: 11,
            violations: ['mask-while-blacklisted'],
          },
        ],
      });
  });

  it('qemu-traditional: sticky 0xd249 makes the resume handshake blacklisted from its first read', () => {
    sessionSpec({
      profile: 'qemu-traditional',
      blacklist: listed('/mh/driver-blacklist/gplpv-windows/1'),
    })
      .given(preamble(2, 1), stop())
      .when(magicRead(), stop())
      .then({
        responses: [0xd249],
        handshakes: [
          {
            result: 'blacklisted',
            blacklisted: true,
            blacklistKey: '/mh/driver-blacklist/gplpv-windows/1',
            product: null,
          },
        ],
      });
  });

  it('qemu-traditional cannot blacklist Linux', () => {
    sessionSpec({ profile: 'qemu-traditional', blacklist: () => true })
      .given(preamble(3, 1))
      .when(maskWrite(3), stop())
      .then({
        handshakes: [
          { result: 'unplugged', blacklisted: false, blacklistKey: null, unplugApplied: true },
        ],
      });
  });

  it('qemu-upstream never blacklists', () => {
    sessionSpec({ profile: 'qemu-upstream', blacklist: () => true })
      .given(preamble(1, 1))
      .when(maskWrite(3), stop())
      .then({ handshakes: [{ result: 'unplugged', blacklisted: false }] });
  });

  it('a recorded magic answer that is neither value is magic-mismatch', () => {
    const { session, handshakes } = collectSession({ profile: 'qemu-upstream' });
    session.observe('in', 0x10, 2, undefined, 0xffff, 0);
    session.stop(1);
    expect(handshakes.map((h) => [h.result, h.blacklisted])).toEqual([['magic-mismatch', false]]);
  });
});
