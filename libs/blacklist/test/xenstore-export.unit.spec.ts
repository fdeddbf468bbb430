import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { PRODUCTS } from '@magicport/protocol';
import {
  exportXenstore,
  parseXenstoreDump,
  sanitiseValue,
  unsanitiseValue,
  type XenstoreEntry,
} from '@magicport/blacklist';

/**
 * A stock host in miniature: the exported script runs in a real `sh`, with `xenstore-write`
 * and `xenstore-rm` on PATH that only report their arguments; a store keeps what they wrote,
 * unescaped as xenstore-write does, and prints it back as `xenstore-ls -f` does.
 */
const bin = mkdtempSync(join(tmpdir(), 'magicport-xenstore-'));
afterAll(() => rmSync(bin, { recursive: true, force: true }));
for (const [tool, tag] of [
  ['xenstore-write', 'W'],
  ['xenstore-rm', 'R'],
] as const) {
  writeFileSync(
    join(bin, tool),
    `#!/bin/sh\nprintf '${tag} %s' "$#"\nfor a in "$@"; do printf ' %s' "$a"; done\nprintf '\\n'\n`,
  );
  chmodSync(join(bin, tool), 0o755);
}

function runOnHost(script: string, store = new Map<string, string>()): Map<string, string> {
  const run = spawnSync('sh', ['-c', script], {
    env: { PATH: `${bin}:/usr/bin:/bin` },
    encoding: 'utf8',
  });
  expect(run.status).toBe(0);
  for (const line of run.stdout.split('\n').filter((l) => l !== '')) {
    const [tag, argc, path, ...rest] = line.split(' ');
    if (tag === 'R') {
      expect(argc).toBe('1');
      for (const key of [...store.keys()])
        if (key === path || key.startsWith(`${path}/`)) store.delete(key);
    } else {
      expect([tag, argc]).toEqual(['W', '2']);
      store.set(path!, unsanitiseValue(rest.join(' ')));
    }
  }
  return store;
}

function xenstoreLs(store: Map<string, string>): string {
  const lines = ['/mh = ""', '/mh/driver-blacklist = ""'];
  for (const [path, value] of [...store].sort()) {
    const parent = path.slice(0, path.lastIndexOf('/'));
    if (!lines.includes(`${parent} = ""`)) lines.push(`${parent} = ""`);
    lines.push(`${path} = "${sanitiseValue(value)}"`);
  }
  return `${lines.join('\n')}\n`;
}

const byKey = (a: XenstoreEntry, b: XenstoreEntry) =>
  a.product === b.product ? a.build - b.build : a.product < b.product ? -1 : 1;

const entry: fc.Arbitrary<XenstoreEntry> = fc.record({
  product: fc.constantFrom(...PRODUCTS.values()),
  build: fc.integer({ min: 0, max: 0xffffffff }),
  value: fc.oneof(
    fc
      .string({ unit: 'binary', maxLength: 40 })
      .filter((s) => Buffer.from(s, 'utf8').toString('utf8') === s),
    fc.constantFrom('', "it's", '-n', '--', '$(reboot)', '`id`', 'a\\x41', '"q"', '\n', '\u0000'),
  ),
});

describe('xenstore export', () => {
  it('writes xenstore-write / xenstore-rm commands, quoted for the shell', () => {
    const script = exportXenstore(
      [
        { product: 'linux', build: 1, value: "it's -x $(id)" },
        { product: 'xensource-windows', build: 0xffffffff, value: '-n\tBSOD é\\' },
        { product: 'linux', build: 0x80000000, value: '' },
      ],
      { comment: 'revision 7\nof the list', remove: [{ product: 'gplpv-windows', build: 3 }] },
    );
    expect(script).toBe(
      [
        '#!/bin/sh',
        'set -e',
        '# revision 7\\x0aof the list',
        "xenstore-rm '/mh/driver-blacklist' 2>/dev/null || true",
        "xenstore-rm '/mh/driver-blacklist/gplpv-windows/3' 2>/dev/null || true",
        "xenstore-write '/mh/driver-blacklist/linux/1' 'it'\\''s -x $(id)'",
        "xenstore-write '/mh/driver-blacklist/xensource-windows/-1' '\\x2dn\\x09BSOD \\xc3\\xa9\\x5c'",
        // qemu-traditional cannot blacklist linux: the spec key, unsigned.
        "xenstore-write '/mh/driver-blacklist/linux/2147483648' ''",
        '',
      ].join('\n'),
    );
    expect(exportXenstore([], { replace: false })).toBe('#!/bin/sh\nset -e\n');
    expect(() => exportXenstore([{ product: 'windows', build: 1, value: '' }])).toThrow(
      'unknown product "windows"',
    );
  });

  it('what it writes on a host reads back as the same list (export, run, xenstore-ls -f, import)', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(entry, { maxLength: 8, selector: (e) => `${e.product}/${e.build}` }),
        fc.constantFrom('spec' as const, 'qemu-traditional' as const),
        (entries, profile) => {
          const stale = new Map([['/mh/driver-blacklist/linux/99', 'stale']]);
          const host = runOnHost(exportXenstore(entries, { profile }), stale);
          const dump = parseXenstoreDump(xenstoreLs(host));
          expect(dump.errors).toEqual([]);
          const imported = dump.entries.map(({ product, build, value }) => ({
            product,
            build,
            value,
          }));
          expect(imported.sort(byKey)).toEqual([...entries].sort(byKey));
        },
      ),
      { numRuns: 60 },
    );
  });
});
