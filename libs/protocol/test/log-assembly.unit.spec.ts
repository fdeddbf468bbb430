import { describe, expect, it } from 'vitest';
import { collectSession, PROFILES } from '@magicport/protocol';
import { sessionSpec } from './support/session-spec';
import { at, logBytes, magicRead, stop, write } from './support/session-steps';

const bytes = (text: string) => new TextEncoder().encode(text);

describe.each(PROFILES)('guest log assembly on %s', (profile) => {
  const spec = sessionSpec({ profile });

  it('nothing is emitted until a newline', () => {
    spec.given(magicRead()).when(logBytes('no newline yet')).then({});
  });

  it("flushes on '\\n' without storing it, keeping timing and every wire byte", () => {
    spec
      .given(at(0, magicRead()))
      .when(at(10, write(0x12, 1, 0x68)), write(0x12, 1, 0x69), write(0x12, 1, 0x0a))
      .then({
        logLines: [
          {
            text: 'hi',
            bytes: bytes('hi'),
            truncated: false,
            handshakeId: 1,
            firstUs: 10,
            lastUs: 12,
            accessCount: 3,
            wireBytes: bytes('hi\n'),
            droppedBefore: { lines: 0, bytes: 0 },
            throttledMs: 0,
          },
        ],
      });
  });

  it('flushes at 4095 stored bytes and loses the byte that triggered the flush', () => {
    const happened = spec
      .given(magicRead())
      .when(logBytes('a'.repeat(4095) + 'B' + 'cc\n'))
      .happened();
    expect(happened.logLines.map((l) => [l.bytes.length, l.truncated, l.accessCount])).toEqual([
      [4095, true, 4096],
      [2, false, 3],
    ]);
    expect(happened.logLines[0]?.wireBytes[4095]).toBe(0x42);
    expect(happened.logLines[0]?.text).toBe('a'.repeat(4095));
    expect(happened.logLines[1]?.text).toBe('cc');
  });

  it('shows the text up to a NUL, as the C string prints, and keeps every raw byte', () => {
    spec
      .given(magicRead())
      .when(logBytes([0x61, 0x62, 0x00, 0x63, 0x0d, 0x0a]))
      .then({ logLines: [{ text: 'ab', bytes: new Uint8Array([0x61, 0x62, 0x00, 0x63, 0x0d]) }] });
  });

  it('does not assume UTF-8: invalid bytes show as U+FFFD, raw bytes stay', () => {
    spec
      .given(magicRead())
      .when(logBytes([0xff, 0x41, 0xc3, 0xa9, 0x0a]))
      .then({ logLines: [{ text: '\uFFFDAé', bytes: new Uint8Array([0xff, 0x41, 0xc3, 0xa9]) }] });
  });

  it('an empty line is emitted as an empty message', () => {
    spec
      .given(magicRead())
      .when(logBytes('\n'))
      .then({ logLines: [{ text: '', bytes: new Uint8Array(0), accessCount: 1 }] });
  });

  it('a line belongs to the context its first byte came in', () => {
    spec
      .given()
      .when(logBytes('before '), magicRead(), logBytes('after\n'), logBytes('in hs\n'))
      .then({
        responses: [0x49d2],
        logLines: [
          { text: 'before after', handshakeId: null },
          { text: 'in hs', handshakeId: 1 },
        ],
      });
  });

  it('a device-model reset keeps the half-written line, as QEMU does', () => {
    const { session, logLines } = collectSession({ profile });
    for (const b of bytes('par')) session.access('out', 0x12, 1, b, 1);
    session.stop(2);
    expect(session.pendingLog()).toEqual({
      bytes: bytes('par'),
      wireBytes: bytes('par'),
      handshakeId: null,
      firstUs: 1,
      lastUs: 1,
    });
    for (const b of bytes('t\n')) session.access('out', 0x12, 1, b, 3);
    expect(logLines.map((l) => l.text)).toEqual(['part']);
    expect(session.pendingLog()).toBeNull();
  });
});

describe('log rate limiting', () => {
  it('qemu-traditional: 32 full lines drain the 128 KiB bucket, then a 100-byte line stalls 138.548 ms', () => {
    const { session, logLines } = collectSession({ profile: 'qemu-traditional' });
    let t = 0;
    const line = (length: number) => {
      for (let i = 0; i < length; i++) session.access('out', 0x12, 1, 0x78, t++);
      session.access('out', 0x12, 1, 0x0a, t++);
    };
    for (let i = 0; i < 32; i++) line(4095);
    line(100);
    // Bucket full at the first flush (t=4095): 131040 tokens spent, 32 left; 68 more at 256/s
    // are due at 4095 + 265625 µs, the line flushes at t=131172.
    expect(logLines.map((l) => l.throttledMs)).toEqual([...Array(32).fill(0), 138.548]);
  });

  it('qemu-traditional: stalls push the model clock on, as the sleeping device model would', () => {
    const { session, logLines } = collectSession({
      profile: 'qemu-traditional',
      logRateLimit: { burstBytes: 10, bytesPerSecond: 256 },
    });
    let t = 0;
    for (const text of ['aaaaaaaa\n', 'bbbbbbbb\n', 'c\n']) {
      for (const b of bytes(text)) session.access('out', 0x12, 1, b, t++);
    }
    // 8 of 10 tokens, then 6 missing = 23437.5 µs after the first flush (t=8) minus now (t=17),
    // then 1 missing = 3906.25 µs after that refill, seen at t=19 + the first stall.
    expect(logLines.map((l) => l.throttledMs)).toEqual([0, 23.4285, 3.90425]);
  });

  it('qemu-traditional: logRateLimit false is log-throttling=0', () => {
    const { session, logLines } = collectSession({
      profile: 'qemu-traditional',
      logRateLimit: false,
    });
    for (let i = 0; i < 200_000; i++)
      session.access('out', 0x12, 1, i % 100 === 99 ? 0x0a : 0x61, 0);
    expect(logLines.every((l) => l.throttledMs === 0)).toBe(true);
    expect(logLines).toHaveLength(2000);
  });

  it('spec: drops what does not fit and tells the next emitted line', () => {
    const { session, logLines, droppedLogLines } = collectSession({
      profile: 'spec',
      logRateLimit: { burstBytes: 10, bytesPerSecond: 1000 },
    });
    const line = (text: string, t: number) => {
      for (const b of bytes(text)) session.access('out', 0x12, 1, b, t);
    };
    line('aaaa\n', 0);
    line('bbbb\n', 0);
    line('cccc\n', 0);
    line('dddddd\n', 0);
    line('e\n', 100_000);
    expect(logLines.map((l) => [l.text, l.droppedBefore])).toEqual([
      ['aaaa', { lines: 0, bytes: 0 }],
      ['bbbb', { lines: 0, bytes: 0 }],
      ['e', { lines: 2, bytes: 10 }],
    ]);
    expect(droppedLogLines.map((l) => l.text)).toEqual(['cccc', 'dddddd']);
  });

  it('qemu-upstream: no limiter', () => {
    const { session, logLines } = collectSession({ profile: 'qemu-upstream' });
    for (let i = 0; i < 200_000; i++)
      session.access('out', 0x12, 1, i % 4096 === 4095 ? 0x0a : 0x61, 0);
    expect(logLines).toHaveLength(48);
    expect(logLines.every((l) => l.throttledMs === 0 && l.droppedBefore.lines === 0)).toBe(true);
  });
});

it('keeps stop semantics: a stop flushes nothing', () => {
  sessionSpec()
    .given(magicRead(), logBytes('half'))
    .when(stop())
    .then({ handshakes: [{ closedBy: 'stop' }] });
});
