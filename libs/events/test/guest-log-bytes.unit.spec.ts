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
