import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  parseXenstoreDump,
  terminalSafe,
  unsanitiseValue,
  xenstoreEntriesOf,
  xenstoreImportCommands,
} from '@magicport/blacklist';
import { add, given } from './blacklist-factory';

const EXAMPLES = join(__dirname, '../../../examples/xenstore');
const example = (name: string) => readFileSync(join(EXAMPLES, name), 'utf8');

describe('xenstore import', () => {
  it('reads the sample xenstore-ls -f dump: entries, escapes, parents and noise', () => {
    const dump = parseXenstoreDump(example('driver-blacklist.xenstore-ls-f.txt'));
    expect(dump.errors).toEqual([]);
    expect(dump.entries).toEqual([
      { product: 'xensource-windows', build: 1234, value: '', line: 6 },
      {
        product: 'xensource-windows',
        build: 4294967295,
        value: 'qemu-dm prints build 4294967295 as %d',
        line: 7,
      },
      {
        product: 'gplpv-windows',
        build: 1,
        value: 'BSOD on resume AB\tticket "42" \\ o/',
        line: 9,
      },
      { product: 'linux', build: 1, value: 'PV-on-HVM hang\nsee ticket 7', line: 12 },
      { product: 'experimental', build: 590080, value: 'win-pv 9.1.0 été', line: 14 },
    ]);
    // comment, warning, /mh, root, 3 product parents, blank, /mh/tmp, another path
    expect(dump.skipped).toEqual([1, 2, 3, 4, 5, 8, 10, 11, 13, 15, 16]);
  });

  it('reads the indented tree form (xenstore-ls without -f)', () => {
    const dump = parseXenstoreDump(example('driver-blacklist.xenstore-ls-tree.txt'));
    expect(dump.errors).toEqual([]);
    expect(dump.entries.map((e) => [e.product, e.build, e.value])).toEqual([
      ['xensource-windows', 1234, ''],
      ['linux', 1, 'PV-on-HVM hang'],
      ['experimental', 590080, 'win-pv 9.1.0'],
    ]);
  });

  it('reads a tree listed below the blacklist root, and one from /', () => {
    expect(parseXenstoreDump('linux = ""\n 7 = "x"\n').entries).toEqual([
      { product: 'linux', build: 7, value: 'x', line: 2 },
    ]);
    const fromTop =
      'mh = ""\n driver-blacklist = ""\n  linux = ""\n   8 = ""\nlocal = ""\n domain = ""\n';
    expect(parseXenstoreDump(fromTop).entries.map((e) => [e.product, e.build])).toEqual([
      ['linux', 8],
    ]);
  });

  it('reports each malformed line with its number and reason, and keeps the good ones', () => {
    const dump = parseXenstoreDump(
      [
        '/mh/driver-blacklist/linux/1 = "ok"',
        '/mh/driver-blacklist/linux/abc = ""',
        '/mh/driver-blacklist/windows/7 = ""',
        '/mh/driver-blacklist/linux/2/extra = ""',
        '/mh/driver-blacklist/linux/3 = "unterminated',
        '/mh/driver-blacklist/linux/1 = "listed again"',
        '/mh/driver-blacklist/linux/4294967296 = ""',
        '/mh/driver-blacklist/linux/007 = ""',
        '/mh/driver-blacklist/linux/\u001b[31mred = ""',
        '/mh/driver-blacklist/linux/5',
      ].join('\r\n'),
    );
    expect(dump.entries.map((e) => [e.build, e.line])).toEqual([[1, 1]]);
    expect(dump.errors).toEqual([
      { line: 2, reason: '/mh/driver-blacklist/linux/abc: build "abc" is not a decimal number' },
      { line: 3, reason: '/mh/driver-blacklist/windows/7: unknown product name "windows"' },
      {
        line: 4,
        reason:
          '/mh/driver-blacklist/linux/2/extra: deeper than /mh/driver-blacklist/{product}/{build}',
      },
      {
        line: 5,
        reason: 'not a "path = \\"value\\"" line: /mh/driver-blacklist/linux/3 = "unterminated',
      },
      { line: 6, reason: 'linux/1 is listed twice (first on line 1)' },
      {
        line: 7,
        reason: '/mh/driver-blacklist/linux/4294967296: build 4294967296 does not fit 4 bytes',
      },
      {
        line: 8,
        reason:
          '/mh/driver-blacklist/linux/007: build 007 has a leading zero or sign: qemu-dm never looks such a key up',
      },
      {
        line: 9,
        reason:
          '/mh/driver-blacklist/linux/\\u{1b}[31mred: build "\\u{1b}[31mred" is not a decimal number',
      },
      { line: 10, reason: 'not a "path = \\"value\\"" line: /mh/driver-blacklist/linux/5' },
    ]);
  });

  it('reports a tree line indented past its parent', () => {
    expect(parseXenstoreDump('linux = ""\n   1 = ""\n').errors).toEqual([
      { line: 2, reason: 'indented deeper than the line above allows:    1 = ""' },
    ]);
  });

  it('never throws, whatever the bytes', () => {
    const junk = [
      '',
      '\n\n',
      ' = ""',
      '/ = ""',
      '/mh/driver-blacklist/ = ""',
      '\u0000\uffff\ud800',
      '"'.repeat(10_000),
    ];
    for (const text of junk) expect(() => parseXenstoreDump(text)).not.toThrow();
  });

  it('unescapes what xenstore-write reads', () => {
    expect(unsanitiseValue('\\x41\\102\\n\\t\\\\\\"q\\x4')).toBe('AB\n\t\\"q\u0004');
    expect(unsanitiseValue('trailing\\')).toBe('trailing\\');
  });

  it('makes text safe for a terminal', () => {
    expect(terminalSafe('a\u001b[2J\u009b\u202eb\\')).toBe('a\\u{1b}[2J\\u{9b}\\u{202e}b\\\\');
    expect(terminalSafe('x'.repeat(200), 5)).toBe('xxxxx...');
  });
});

describe('xenstore and the blacklist', () => {
  it('turns an import into add commands for the keys not listed yet', () => {
    const { state } = given([add('linux', 1)]);
    const dump = parseXenstoreDump(example('driver-blacklist.xenstore-ls-tree.txt'));
    expect(xenstoreImportCommands(dump.entries, state, { actor: 'import-bot' })).toEqual([
      {
        kind: 'add',
        product: 'xensource-windows',
        build: 1234,
        actor: 'import-bot',
        reason: 'imported from xenstore (line 3)',
      },
      {
        kind: 'add',
        product: 'experimental',
        build: 590080,
        actor: 'import-bot',
        reason: 'win-pv 9.1.0',
      },
    ]);
  });

  it('exports the listed entries with their reasons', () => {
    const { state } = given([add('linux', 1, 'boot loop'), add('gplpv-windows', 2, 'BSOD')]);
    expect(xenstoreEntriesOf(state)).toEqual([
      { product: 'linux', build: 1, value: 'boot loop' },
      { product: 'gplpv-windows', build: 2, value: 'BSOD' },
    ]);
  });
});
