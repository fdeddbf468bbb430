import { describe, expect, it } from 'vitest';
import { BlacklistCommandError, decide, type BlacklistCommand } from '@magicport/blacklist';
import { add, given, remove } from './blacklist-factory';

/** Given the commands before, when this one comes, then this change (or this refusal). */
function when(before: BlacklistCommand[], command: BlacklistCommand) {
  return decide(command, given(before).state);
}

describe('blacklist decide: given / when / then', () => {
  it('add: an entry at the next revision under its xenstore key', () => {
    expect(when([], add('experimental', 590080))).toEqual({
      type: 'blacklist.entry.added',
      data: {
        product: 'experimental',
        build: 590080,
        key: '/mh/driver-blacklist/experimental/590080',
        actor: 'alice',
        reason: 'crashes on resume',
        revision: 1,
      },
    });
  });

  it.each([
    [3, 'linux'],
    ['3', 'linux'],
    ['0xffff', 'experimental'],
    [0xffff, 'experimental'],
    ['xenserver-windows-v7.2+', 'xenserver-windows-v7.2+'],
  ] as const)('names the product %j as %s', (product, name) => {
    const change = when([], add(product, 7));
    expect([change.data.product, change.data.key]).toEqual([
      name,
      `/mh/driver-blacklist/${name}/7`,
    ]);
  });

  it('remove: the entry goes at the next revision, with its own actor and reason', () => {
    expect(when([add('linux', 1), add('gplpv-windows', 1)], remove('linux', 1))).toEqual({
      type: 'blacklist.entry.removed',
      data: {
        product: 'linux',
        build: 1,
        key: '/mh/driver-blacklist/linux/1',
        actor: 'bob',
        reason: 'fixed in the next build',
        revision: 3,
      },
    });
  });

  it('a build of 2^31 and up keeps its unsigned decimal key', () => {
    expect(when([], add('xensource-windows', 0xffffffff)).data.key).toBe(
      '/mh/driver-blacklist/xensource-windows/4294967295',
    );
  });

  it.each([
    [
      [add('linux', 1)],
      add('linux', 1),
      'already-listed',
      '/mh/driver-blacklist/linux/1 is already blacklisted',
    ],
    [[], remove('linux', 7), 'not-listed', '/mh/driver-blacklist/linux/7 is not blacklisted'],
    [
      [add('linux', 7), remove('linux', 7)],
      remove('linux', 7),
      'not-listed',
      '/mh/driver-blacklist/linux/7 is not blacklisted',
    ],
    [
      [],
      add('windows', 1),
      'unknown-product',
      'unknown product "windows": use a registered name or number: xensource-windows (1), gplpv-windows (2), linux (3), xenserver-windows-v7.0+ (4), xenserver-windows-v7.2+ (5), experimental (65535)',
    ],
    [
      [],
      add(6, 1),
      'unknown-product',
      expect.stringMatching(/^unknown product 6: use a registered/),
    ],
    [
      [],
      add('0x10000', 1),
      'unknown-product',
      expect.stringMatching(/^unknown product "0x10000": /),
    ],
    [
      [],
      add('linux', -1),
      'invalid-build',
      'build must be an integer from 0 to 4294967295 (the 4-byte build number), got -1',
    ],
    [
      [],
      add('linux', 2 ** 32),
      'invalid-build',
      'build must be an integer from 0 to 4294967295 (the 4-byte build number), got 4294967296',
    ],
    [
      [],
      add('linux', 1.5),
      'invalid-build',
      'build must be an integer from 0 to 4294967295 (the 4-byte build number), got 1.5',
    ],
    [[], add('linux', 1, ''), 'invalid-reason', 'a blacklist change needs a reason: say why'],
    [
      [],
      remove('linux', 1, ' \t\n'),
      'invalid-reason',
      'a blacklist change needs a reason: say why',
    ],
    [
      [],
      add('linux', 1, 'x'.repeat(4097)),
      'invalid-reason',
      'the reason is 4097 characters long; at most 4096',
    ],
    [
      [],
      add('linux', 1, 'why', ' '),
      'invalid-actor',
      'a blacklist change must name its actor (1-256 characters)',
    ],
    [
      [],
      add('linux', 1, 'why', 'a'.repeat(257)),
      'invalid-actor',
      'a blacklist change must name its actor (1-256 characters)',
    ],
  ] as Array<[BlacklistCommand[], BlacklistCommand, string, unknown]>)(
    'nothing happens: given %j, %j is refused with %s',
    (before, command, code, message) => {
      const { state } = given(before);
      let thrown: unknown;
      try {
        decide(command, state);
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(BlacklistCommandError);
      expect(thrown).toMatchObject({ code, message });
    },
  );
});
