import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LineSplitter } from '../src/tap/line-splitter';
import { ofType, outcomes, tapFile, tapText, TRACES } from './tap-harness';

describe('dm tap: bad input is counted, never fatal', () => {
  it('lists unparseable lines with their numbers and records the rest (CRLF, junk, huge, truncated last line)', async () => {
    const lines = [
      'cpu_in addr 0x10(w) value 18898\r',
      'cpu_in addr 0x10(q) value 1',
      '\u0000\u0001\u00ff\u00fe garbage',
      'x'.repeat(70_000),
      '12423@1538597569.672527:cpu_out addr 0x10(b) value 256',
      '2025-02-30T00:00:00.000000Z cpu_in addr 0x10(w) value 18898',
      '1@99999999999999.000000:cpu_in addr 0x10(w) value 18898',
      'cpu_in addr 0x12(b) value 1\r',
      'cpu_out addr 0x12(w) val',
    ];
    const { result, events } = await tapText(Buffer.from(lines.join('\n'), 'latin1'));
    expect(result.report.issues).toEqual(
      [
        [2, 'malformed cpu_in event'],
        [3, 'binary data'],
        [4, 'line of 70000 bytes is too long to be a log line'],
        [5, 'value 256 too large for size 1'],
        [6, 'timestamp outside 1970-2249 or not a real date'],
        [7, 'timestamp outside 1970-2249 or not a real date'],
        [9, 'malformed cpu_out event'],
      ].map(([line, reason]) => ({ line, generation: 0, kind: 'unparseable', reason })),
    );
    expect(result.report).toMatchObject({ lines: 9, unparseable: 7, accesses: 2 });
    expect(ofType(events, 'port.access').map((e) => [e.data.port, e.data.response])).toEqual([
      [0x10, 0x49d2],
      [0x12, 1],
    ]);
    // Magic and version read, then only junk: the driver stopped after the version read.
    expect(outcomes(events)).toMatchObject([{ result: 'version-unsupported', protocolVersion: 1 }]);
    expect(events.at(-1)).toMatchObject({
      type: 'dm.stopped',
      data: { detail: 'end of file (9 lines)' },
    });
  });

  it('an empty file still frames an instance, and auto-detection says it assumed a QEMU trace', async () => {
    const { result, events } = await tapText('');
    expect(result).toMatchObject({
      format: 'qemu-trace',
      formatAssumed: true,
      stoppedBy: 'end-of-file',
    });
    expect(events.map((e) => [e.type, e.time])).toEqual([
      ['dm.started', '1970-01-01T00:00:00.000000Z'],
      ['dm.stopped', '1970-01-01T00:00:00.000000Z'],
    ]);
  });

  it('survives any bytes, as a trace or as a qemu-dm log: every line counted, events gapless', async () => {
    const traceLine = fc.constantFrom(
      'cpu_in addr 0x10(w) value 18898',
      'cpu_in addr 0x10(w) value 53833',
      'cpu_out addr 0x12(w) value 3',
      'cpu_out addr 0x10(l) value 1',
      'cpu_out addr 0x10(w) value 3',
      'cpu_out addr 0x12(b) value 10',
      'xen_platform_log xen platform: hello',
      'PV driver build 1',
      'Drivers are blacklisted!',
      'Unknown PV product 3 loaded in guest',
    );
    const junk = fc.uint8Array({ maxLength: 80 }).map((b) => Buffer.from(b).toString('latin1'));
    const file = fc.array(fc.oneof(traceLine, junk), { maxLength: 40 }).map((l) => l.join('\n'));
    await fc.assert(
      fc.asyncProperty(
        file,
        fc.constantFrom('auto', 'qemu-trace', 'qemu-dm'),
        async (text, format) => {
          const bytes = Buffer.from(text, 'latin1');
          const { result, events } = await tapText(bytes, { format: format as 'auto' });
          const expectedLines =
            bytes.length === 0 ? 0 : text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
          expect(result.report.lines).toBe(expectedLines);
          expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i));
          expect(events[0]?.type).toBe('dm.started');
          expect(events.at(-1)?.type).toBe('dm.stopped');
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe('LineSplitter', () => {
  const split = (chunks: string[], max = 8) => {
    const lines: Array<string | number> = [];
    const splitter = new LineSplitter(max, (line, length) =>
      lines.push(line ? line.toString() : length),
    );
    for (const chunk of chunks) splitter.push(Buffer.from(chunk));
    const unterminated = splitter.finish();
    return { lines, unterminated };
  };

  it('joins lines across chunks and keeps empty lines', () => {
    expect(split(['ab', 'c\n\nd', 'e\n'])).toEqual({
      lines: ['abc', '', 'de'],
      unterminated: false,
    });
  });

  it('reports an over-long line by length only, even when its newline comes chunks later', () => {
    expect(split(['12345', '6789', '0123\nok\nlast'])).toEqual({
      lines: [13, 'ok', 'last'],
      unterminated: true,
    });
  });
});

describe('dm tap: a given format and the no-prefix count', () => {
  it('reads a given format as told, says which line disagrees and what detection would pick', async () => {
    const said: string[] = [];
    const { result, events } = await tapFile(
      join(TRACES, 'linux-boot.pid.trace'),
      { format: 'qemu-dm' },
      { log: (line) => said.push(line) },
    );
    expect(result).toMatchObject({
      format: 'qemu-dm',
      formatSource: 'given',
      formatAssumed: false,
      detectedFormat: 'qemu-trace',
    });
    expect(said).toEqual([
      '--format qemu-dm was given, but line 1 looks like a QEMU trace (detection would pick qemu-trace); reading it as qemu-dm as told',
    ]);
    // Nothing is lost: every line is kept, as unattributed text; and nothing was recognised.
    expect(ofType(events, 'guest.log').map((e) => e.data.attribution)).toEqual(
      Array(10).fill('unattributed'),
    );
    expect(result.report.nothingRecognised()).toBe('no port access and no guest line in 10 lines');
  });

  it('control: a given format that fits says nothing, and the report recognises the run', async () => {
    const said: string[] = [];
    const { result } = await tapFile(
      join(TRACES, 'linux-boot.pid.trace'),
      { format: 'qemu-trace' },
      { log: (line) => said.push(line) },
    );
    expect(result).toMatchObject({ formatSource: 'given', detectedFormat: 'qemu-trace' });
    expect(said).toEqual([]);
    expect(result.report.nothingRecognised()).toBeNull();
  });

  it('counts as lacking a time prefix only lines without one (not a malformed event or an impossible date behind one)', async () => {
    const { result } = await tapText(
      [
        '12423@1538597569.672527:cpu_in addr 0x10(q) value 1',
        '2025-02-30T00:00:00.000000Z cpu_in addr 0x10(w) value 18898',
        '12423@1538597569.672530:cpu_in addr 0x10(w) value 18898',
        'cpu_in addr 0x12(b) value 1',
      ].join('\n'),
    );
    expect(result.report).toMatchObject({ syntheticTimes: 1, unparseable: 2, accesses: 2 });
  });
});
