import { describe, expect, it } from 'vitest';
import { parseTranscript, runTranscript, TranscriptError } from '@magicport/protocol';

/** One log line of `length` bytes ('A'...) then '\n', written a byte at a time to port 0x12 at `t`. */
function logLine(length: number, t?: number) {
  const bytes = [...'A'.repeat(length)].map((c) => c.charCodeAt(0)).concat(0x0a);
  return bytes.map((value, i) => ({
    op: 'out',
    port: 18,
    size: 1,
    value,
    ...(i === 0 && t !== undefined ? { t } : {}),
  }));
}

describe('transcript run: lines the spec rate limiter drops are counted (DESIGN §3)', () => {
  it('40 lines of 4,000 bytes at one instant: 32 fit the 128 KiB burst, 8 dropped after the last', () => {
    const accesses = Array.from({ length: 40 }, () => logLine(4000)).flat();
    const result = runTranscript({ profile: 'spec', accesses });
    expect(result.logLines).toHaveLength(32);
    expect(result.logLines.map((l) => l.droppedBefore)).toEqual(Array(32).fill(0));
    expect(result.logLinesDropped).toBe(8);
  });

  it('a line after the bucket refilled reports the drops right before it; the total counts all', () => {
    const flood = Array.from({ length: 40 }, () => logLine(4000)).flat();
    // 256 B/s: 100 s later the bucket holds 25,600 bytes again, enough for one short line.
    const accesses = [...flood, ...logLine(10, 100_000_000), ...logLine(4000), ...logLine(4000)];
    const result = runTranscript({ profile: 'spec', accesses });
    expect(result.logLines.map((l) => [l.text.length, l.droppedBefore])).toEqual([
      ...Array(32).fill([4000, 0]),
      [10, 8],
      [4000, 0],
      [4000, 0],
    ]);
    expect(result.logLinesDropped).toBe(8);
  });

  it('qemu-traditional stalls instead of dropping: nothing dropped (control)', () => {
    const accesses = Array.from({ length: 40 }, () => logLine(4000)).flat();
    const result = runTranscript({ profile: 'qemu-traditional', accesses });
    expect(result.logLines).toHaveLength(40);
    expect(result.logLinesDropped).toBe(0);
    expect(Object.keys(result)).toEqual(['responses', 'handshakes', 'logLines', 'logLinesDropped']);
    expect(Object.keys(result.logLines[0]!)).toEqual([
      'text',
      'bytesBase64',
      'truncated',
      'droppedBefore',
    ]);
  });
});

describe('transcript blacklist entries are checked', () => {
  const problems = (blacklist: unknown[]) => {
    try {
      parseTranscript({ blacklist, accesses: [] });
      return [];
    } catch (error) {
      return (error as TranscriptError).problems;
    }
  };

  it.each([
    [
      '/mh/driver-blacklist/Linux/1',
      'blacklist[0]: unknown product name "Linux" in "/mh/driver-blacklist/Linux/1" (known: xensource-windows, gplpv-windows, linux, xenserver-windows-v7.0+, xenserver-windows-v7.2+, experimental)',
    ],
    [
      'mh/driver-blacklist/linux/1',
      'blacklist[0]: must be a key like "/mh/driver-blacklist/linux/1" (got "mh/driver-blacklist/linux/1")',
    ],
    ['garbage', 'blacklist[0]: must be a key like "/mh/driver-blacklist/linux/1" (got "garbage")'],
    [
      '/mh/driver-blacklist/linux/01',
      'blacklist[0]: the build in "/mh/driver-blacklist/linux/01" must be a decimal number from -2147483648 to 4294967295 without leading zeros',
    ],
    [
      '/mh/driver-blacklist/linux/4294967296',
      'blacklist[0]: the build in "/mh/driver-blacklist/linux/4294967296" must be a decimal number from -2147483648 to 4294967295 without leading zeros',
    ],
  ])('%s', (key, problem) => {
    expect(problems([key])).toEqual([problem]);
  });

  it('accepts registered names with unsigned and qemu-traditional signed builds (control)', () => {
    expect(
      problems([
        '/mh/driver-blacklist/linux/1',
        '/mh/driver-blacklist/experimental/4294967295',
        '/mh/driver-blacklist/gplpv-windows/-1',
        '/mh/driver-blacklist/xenserver-windows-v7.2+/0',
      ]),
    ).toEqual([]);
  });
});
