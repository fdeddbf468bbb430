import { describe, expect, it } from 'vitest';
import {
  authenticate,
  bearerToken,
  hashToken,
  parseTokens,
  TokenConfigError,
} from '@magicport/blacklist';

const ALICE = 's3cret-alice';
const CI = 'ci-token-0001';
const config = `alice:${hashToken(ALICE)}, ci-bot:${hashToken(CI).toUpperCase()}\n`;

describe('blacklist write tokens', () => {
  it('hashes with sha256, lowercase hex', () => {
    expect(hashToken('test')).toBe(
      '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
    );
  });

  it('names the actor of a known token, null for anything else', () => {
    const table = parseTokens(config);
    expect(table.entries.map((e) => e.name)).toEqual(['alice', 'ci-bot']);
    expect(authenticate(table, ALICE)).toBe('alice');
    expect(authenticate(table, CI)).toBe('ci-bot');
    expect(authenticate(table, 'wrong')).toBeNull();
    expect(authenticate(table, `${ALICE} `)).toBeNull();
    expect(authenticate(table, hashToken(ALICE))).toBeNull(); // the digest is not the token
    expect(authenticate(table, '')).toBeNull();
    expect(authenticate(table, null)).toBeNull();
    expect(authenticate(table, undefined)).toBeNull();
    expect(authenticate(parseTokens(''), ALICE)).toBeNull();
  });

  it('takes the token out of an Authorization header', () => {
    expect(bearerToken(`Bearer ${ALICE}`)).toBe(ALICE);
    expect(bearerToken(`bearer   ${ALICE}`)).toBe(ALICE);
    expect(bearerToken(`Basic ${ALICE}`)).toBeNull();
    expect(bearerToken('Bearer ')).toBeNull();
    expect(bearerToken('Bearer a b')).toBeNull();
    expect(bearerToken(undefined)).toBeNull();
  });

  it('refuses a bad configuration, naming every bad entry', () => {
    const digest = hashToken('x');
    let error: unknown;
    try {
      parseTokens(
        `alice:${digest} ${digest} bob:abc -x:${digest} alice:${hashToken('y')} carol:${digest}`,
      );
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(TokenConfigError);
    expect((error as TokenConfigError).problems).toEqual([
      "entry 2: needs a name (1-64 of [A-Za-z0-9._@-]) before ':'",
      "entry 3 (bob): after ':' goes the token's sha256 as 64 hex digits",
      "entry 4: needs a name (1-64 of [A-Za-z0-9._@-]) before ':'",
      'entry 5: the name alice is given twice',
      'entry 6 (carol): the same token as another name',
    ]);
  });
});
