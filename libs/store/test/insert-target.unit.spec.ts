import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assertTableName, insertTarget, sanitizeDedupToken } from '@magicport/store';

describe('sanitizeDedupToken', () => {
  it('keeps topic-partition-offset tokens as they are', () => {
    expect(sanitizeDedupToken('magicport.events.v1-3-1200-1299')).toBe(
      'magicport.events.v1-3-1200-1299',
    );
    expect(sanitizeDedupToken('a:b/c_D')).toBe('a:b/c_D');
  });

  it('percent-encodes quotes, backslashes, spaces, "%" and non-ASCII as UTF-8 bytes', () => {
    expect(sanitizeDedupToken("x' OR 1; --")).toBe('x%27%20OR%201%3B%20--');
    expect(sanitizeDedupToken('a\\b%c')).toBe('a%5Cb%25c');
    expect(sanitizeDedupToken('é\n🙂')).toBe('%C3%A9%0A%F0%9F%99%82');
  });

  it('never yields a character that could end or escape the SQL literal', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 200, unit: 'grapheme' }), (token) => {
        expect(sanitizeDedupToken(token)).toMatch(/^[A-Za-z0-9._:/%-]+$/);
      }),
    );
  });

  it('maps different tokens to different tokens (a collision would drop a batch)', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 40, unit: 'grapheme' }),
        fc.string({ minLength: 1, maxLength: 40, unit: 'grapheme' }),
        (a, b) => {
          fc.pre(a !== b);
          expect(sanitizeDedupToken(a)).not.toBe(sanitizeDedupToken(b));
        },
      ),
    );
    // The pairs a naive "replace unsafe with _" or "strip" sanitiser would merge.
    expect(sanitizeDedupToken('a b')).not.toBe(sanitizeDedupToken('a_b'));
    expect(sanitizeDedupToken('a%20b')).not.toBe(sanitizeDedupToken('a b'));
  });

  it('rejects empty, oversized and unencodable tokens with the reason', () => {
    expect(() => sanitizeDedupToken('')).toThrow('dedup token must not be empty');
    expect(() => sanitizeDedupToken('x'.repeat(1001))).toThrow(
      'dedup token is 1001 characters, at most 1000',
    );
    expect(() => sanitizeDedupToken('a\uD800b')).toThrow('lone UTF-16 surrogate');
  });
});

describe('insertTarget', () => {
  it('is the bare table without a token', () => {
    expect(insertTarget('port_accesses')).toBe('port_accesses');
  });

  it('puts the token in the statement, never in per-call settings', () => {
    expect(insertTarget('magicport.handshakes', "t-0-'9")).toBe(
      "magicport.handshakes SETTINGS insert_deduplication_token = 't-0-%279', " +
        'deduplicate_blocks_in_dependent_materialized_views = 1',
    );
  });

  it('puts a column list before the settings', () => {
    expect(insertTarget('guest_logs', 'tok', ['vm', 'bytes_base64'])).toBe(
      "guest_logs (vm, bytes_base64) SETTINGS insert_deduplication_token = 'tok', " +
        'deduplicate_blocks_in_dependent_materialized_views = 1',
    );
    expect(insertTarget('guest_logs', undefined, ['vm'])).toBe('guest_logs (vm)');
    expect(() => insertTarget('guest_logs', 'tok', ['vm) SETTINGS x = (1'])).toThrow(
      /invalid column name/,
    );
  });

  it('refuses table names that would splice SQL', () => {
    for (const bad of ['', 'a b', 'a;DROP', 'a.b.c', '1abc', 't SETTINGS x = 1']) {
      expect(() => assertTableName(bad)).toThrow(`invalid table name ${JSON.stringify(bad)}`);
    }
    expect(assertTableName('db_1.t_2')).toBe('db_1.t_2');
  });
});
