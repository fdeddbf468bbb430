import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeLogBytes, encodeLogBytes, guestLogText } from '@magicport/events';

describe('guest log text for display', () => {
  it('keeps valid UTF-8 and TAB', () => {
    expect(guestLogText(Buffer.from('XENBUS|\tUnplug: é → ok'))).toBe('XENBUS|\tUnplug: é → ok');
  });

  it('shows each invalid UTF-8 sequence as U+FFFD', () => {
    expect(guestLogText(Uint8Array.of(0x61, 0xff, 0x62, 0xe2, 0x82))).toBe('a\ufffdb\ufffd');
  });

  it('shows control bytes as control pictures', () => {
    expect(guestLogText(Uint8Array.of(0x00, 0x0d, 0x0a, 0x1b, 0x7f, 0x41))).toBe(
      '\u2400\u240d\u240a\u241b\u2421A',
    );
  });

  it('is the UTF-8 decoding with every control but TAB shown as its picture, for any bytes', () => {
    // The reference: decode, then picture each C0 control (not TAB) and DEL, char by char.
    const reference = (bytes: Uint8Array) =>
      [...new TextDecoder().decode(bytes)]
        .map((c) => {
          const code = c.charCodeAt(0);
          if (code === 0x7f) return '\u2421';
          return code < 0x20 && code !== 0x09 ? String.fromCharCode(0x2400 + code) : c;
        })
        .join('');
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 300 }),
      fc.uint8Array({ min: 0x20, max: 0x7e, maxLength: 300 }),
      fc.string({ unit: 'binary', maxLength: 100 }).map((s) => new TextEncoder().encode(s)),
    );
    fc.assert(
      fc.property(bytes, (b) => {
        expect(guestLogText(b)).toBe(reference(b));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('guest log bytes travel losslessly', () => {
  it('round-trips any bytes through base64', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 4095 }), (bytes) => {
        expect(decodeLogBytes(encodeLogBytes(bytes))).toStrictEqual(Buffer.from(bytes));
      }),
    );
  });

  it('encodes only the viewed part of a shared buffer', () => {
    const whole = Uint8Array.of(1, 2, 3, 4, 5);
    expect(encodeLogBytes(whole.subarray(1, 3))).toBe('AgM=');
  });

  it.each(['QR==', 'QQ', 'Q Q==', 'QQ==\n'])('refuses non-canonical %j', (base64) => {
    expect(decodeLogBytes(base64)).toBeNull();
  });
});
