/**
 * Every string and number parameter of every endpoint, tried with quotes, backslashes, SQL,
 * NUL, very long, non-UTF-8, negative and huge values: a 4xx problem with a detail or a normal
 * answer, never a 5xx and never ClickHouse's own error text.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import '../setup/provided-context';
import { join } from 'node:path';
import { buildCli, killLeftoverCli, randomSeed, runCli } from '../support/recorder';
import {
  api,
  simulate,
  startApiFixture,
  TOKENS,
  waitIngested,
  type ApiFixture,
} from './api-fixture';

const brokers = inject('kafkaBrokers');
let fixture: ApiFixture;
let url: string;
let vm: string;

const STRINGS = [
  "'",
  '"',
  '\\',
  "'; DROP TABLE handshakes; --",
  "' OR 1=1 --",
  '{vm:UUID}',
  '\u0000',
  'a\u0000b',
  'é😀',
  '(',
  '[[:alpha:',
  '.*'.repeat(200),
  'x'.repeat(5000),
  '',
  ' ',
];
/** Raw query-string fragments that are not valid UTF-8 once percent-decoded. */
const RAW = ['%FF%FE', '%ED%A0%80', '%C0%AF', '%'];
const NUMBERS = [
  '-1',
  '-9999999999',
  '1e309',
  '99999999999999999999999',
  '1.5',
  'NaN',
  '0x10',
  '4294967296',
  '9007199254740993',
];

interface Endpoint {
  path: string;
  base: Record<string, string>;
  params: string[];
  method?: 'GET' | 'DELETE';
  token?: string;
}

const vmPath = (v: string) => `/api/v1/guests/${v}`;

function endpoints(): Endpoint[] {
  return [
    {
      path: '/api/v1/fleet/builds',
      base: {},
      params: ['from', 'to', 'host', 'product', 'build', 'limit', 'cursor'],
    },
    {
      path: '/api/v1/fleet/rollout',
      base: { product: 'linux' },
      params: ['product', 'build', 'from', 'to'],
    },
    {
      path: '/api/v1/fleet/guests',
      base: { product: 'linux', build: '1' },
      params: ['product', 'build', 'host', 'limit', 'cursor'],
    },
    { path: '/api/v1/fleet/emulated', base: {}, params: ['host', 'reason', 'limit', 'cursor'] },
    { path: '/api/v1/fleet/unknown-products', base: {}, params: ['from', 'to'] },
    { path: '/api/v1/blacklist/history', base: {}, params: ['asOf'] },
    {
      path: '/api/v1/blacklist/hits',
      base: {},
      params: [
        'from',
        'to',
        'product',
        'build',
        'host',
        'vm',
        'result',
        'revision',
        'limit',
        'cursor',
      ],
    },
    {
      path: '/api/v1/blacklist/hits/summary',
      base: {},
      params: ['from', 'to', 'product', 'build'],
    },
    {
      path: '/api/v1/blacklist/impact',
      base: { product: 'linux', build: '1' },
      params: ['product', 'build', 'limit'],
    },
    { path: '/api/v1/blacklist/export', base: {}, params: ['profile'] },
    { path: `${vmPath(vm)}/handshakes`, base: {}, params: ['boot', 'limit', 'cursor'] },
    {
      path: `${vmPath(vm)}/replay`,
      base: { boot: '0' },
      params: [
        'boot',
        'handshake',
        'profile',
        'enforce',
        'blacklist',
        'asOf',
        'keys',
        'timelineLimit',
      ],
    },
    {
      path: `${vmPath(vm)}/logs`,
      base: {},
      params: ['boot', 'grep', 'from', 'to', 'limit', 'cursor'],
    },
    {
      path: '/api/v1/logs/search',
      base: { q: 'x', from: '2031-01-01' },
      params: ['q', 'from', 'to', 'host', 'limit', 'cursor'],
    },
    {
      path: '/api/v1/blacklist/linux/4242',
      base: { reason: 'r' },
      params: ['reason'],
      method: 'DELETE',
      token: TOKENS.alice,
    },
  ];
}

const LEAK = /DB::|Code: \d|Exception|chdb|SETTINGS|SELECT |query_params/;

beforeAll(async () => {
  await buildCli();
  fixture = await startApiFixture(brokers);
  url = fixture.server.url;
  const run = await simulate(brokers, randomSeed(), '2031-01-05T00:00:00Z', [], 30);
  await waitIngested(fixture, run);
  const hits = await api<{ items: { vm: string }[] }>(url, '/api/v1/fleet/emulated?limit=1');
  const guest =
    (await api<{ items: { vm: string }[] }>(url, '/api/v1/blacklist/hits?limit=1')).body.items[0] ??
    hits.body.items[0];
  vm = guest!.vm;
}, 300_000);

afterAll(async () => {
  await killLeftoverCli();
  await fixture?.close();
});

async function expectSafe(
  path: string,
  query: string,
  method: 'GET' | 'DELETE' = 'GET',
  token?: string,
) {
  const r = await api(url, `${path}?${query}`, { method, token });
  const what = `${method} ${path}?${query.slice(0, 200)} -> ${r.status} ${r.text.slice(0, 300)}`;
  expect(r.status, what).toBeLessThan(500);
  if (r.status >= 400) {
    expect(r.type, what).toContain('application/problem+json');
    expect((r.body as { detail?: string }).detail, what).toMatch(/\w/);
    expect(r.text, what).not.toMatch(LEAK);
  }
  return r.status;
}

describe('hostile parameters', () => {
  it('every parameter of every GET/DELETE endpoint: 4xx with a detail or an answer, never 5xx or engine text', async () => {
    const statuses = new Map<number, number>();
    for (const endpoint of endpoints()) {
      for (const param of endpoint.params) {
        const values = [...STRINGS.map(encodeURIComponent), ...RAW, ...NUMBERS];
        for (const value of values) {
          const query = Object.entries({ ...endpoint.base })
            .filter(([k]) => k !== param)
            .map(([k, v]) => `${k}=${encodeURIComponent(v)}`)
            .concat(`${param}=${value}`)
            .join('&');
          const status = await expectSafe(endpoint.path, query, endpoint.method, endpoint.token);
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
        }
      }
    }
    // Most hostile values are refused; some are harmless text (an empty result).
    expect(statuses.get(400)).toBeGreaterThan(500);
    expect([...statuses.keys()].every((s) => s < 500)).toBe(true);
  });

  it('hostile path segments (guest id, product, build)', async () => {
    for (const value of [
      ...STRINGS.filter(Boolean).map(encodeURIComponent),
      ...RAW.filter((r) => r !== '%'),
      ...NUMBERS,
    ]) {
      for (const path of [
        `/api/v1/guests/${value}/handshakes`,
        `/api/v1/guests/${value}/replay`,
        `/api/v1/guests/${value}/logs`,
      ]) {
        expect(await expectSafe(path, ''), path).toBeGreaterThanOrEqual(400);
      }
      expect(
        await expectSafe(`/api/v1/blacklist/${value}/1`, 'reason=r', 'DELETE', TOKENS.alice),
        value,
      ).toBeGreaterThanOrEqual(400);
      expect(
        await expectSafe(`/api/v1/blacklist/linux/${value}`, 'reason=r', 'DELETE', TOKENS.alice),
        value,
      ).toBeGreaterThanOrEqual(400);
    }
  });

  it('hostile JSON bodies for add and import: 4xx, nothing added', async () => {
    const before = (await api<{ revision: number }>(url, '/api/v1/blacklist')).body.revision;
    const bodies = [
      '{',
      '[]',
      'null',
      '"x"',
      JSON.stringify({ product: "'; DROP TABLE x; --", build: 1, reason: 'r' }),
      JSON.stringify({ product: 'linux', build: -1, reason: 'r' }),
      '{"product":"linux","build":1e309,"reason":"r"}',
      JSON.stringify({ product: 'linux', build: 1.5, reason: 'r' }),
      JSON.stringify({ product: 'linux', build: 4294967296, reason: 'r' }),
      JSON.stringify({ product: 'linux', build: 1, reason: '' }),
      JSON.stringify({ product: 'linux', build: 1, reason: 'x'.repeat(5000) }),
      JSON.stringify({ product: 'linux', build: 1, reason: 'r', extra: 1 }),
      JSON.stringify({ product: 'linux\u0000', build: 1, reason: 'r' }),
      JSON.stringify({ product: 70000, build: 1, reason: 'r' }),
      JSON.stringify({ product: 'linux', build: '1', reason: 'r' }),
    ];
    for (const body of bodies) {
      const r = await api(url, '/api/v1/blacklist', { method: 'POST', body, token: TOKENS.alice });
      const what = `${body.slice(0, 100)} -> ${r.status} ${r.text.slice(0, 200)}`;
      expect(r.status, what).toBeGreaterThanOrEqual(400);
      expect(r.status, what).toBeLessThan(500);
      expect(r.type, what).toContain('application/problem+json');
    }
    const dumps = [
      '\u0000',
      '/mh/driver-blacklist/\'; DROP/1 = "x"',
      '/mh/driver-blacklist/linux/-99999999999 = "x"',
      '\\'.repeat(1000),
      '%FF',
    ];
    for (const dump of dumps) {
      const r = await api<{ added: unknown[] }>(url, '/api/v1/blacklist/import', {
        method: 'POST',
        body: JSON.stringify({ dump, dryRun: true }),
        token: TOKENS.alice,
      });
      expect(r.status, `${dump.slice(0, 50)} -> ${r.text.slice(0, 200)}`).toBe(200);
      expect(r.body.added).toEqual([]);
    }
    expect((await api<{ revision: number }>(url, '/api/v1/blacklist')).body.revision).toBe(before);
  });
});

describe('xenstore import and export', () => {
  it('imports a real-shaped xenstore-ls -f dump through the CLI and exports every key as xenstore-write', async () => {
    const dump = join(
      __dirname,
      '..',
      '..',
      'examples',
      'xenstore',
      'driver-blacklist.xenstore-ls-f.txt',
    );
    const keys = [
      '/mh/driver-blacklist/xensource-windows/1234',
      '/mh/driver-blacklist/xensource-windows/4294967295',
      '/mh/driver-blacklist/gplpv-windows/1',
      '/mh/driver-blacklist/linux/1',
      '/mh/driver-blacklist/experimental/590080',
    ];
    const dry = await runCli(
      [
        'blacklist',
        'import',
        dump,
        '--dry-run',
        '--json',
        '--server',
        url,
        '--token',
        TOKENS.alice,
      ],
      60_000,
    );
    expect(dry.code, dry.stderr).toBe(0);
    const planned = JSON.parse(dry.stdout) as {
      added: { key: string }[];
      alreadyListed: string[];
      errors: unknown[];
    };
    expect([...planned.added.map((a) => a.key), ...planned.alreadyListed].sort()).toEqual(
      [...keys].sort(),
    );
    expect(planned.errors).toEqual([]);

    const run = await runCli(
      ['blacklist', 'import', dump, '--json', '--server', url, '--token', TOKENS.alice],
      60_000,
    );
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as { added: { key: string; revision: number }[] };
    expect(result.added.map((a) => a.key)).toEqual(planned.added.map((a) => a.key));
    const list = (
      await api<{ entries: { key: string; reason: string; addedBy: string }[] }>(
        url,
        '/api/v1/blacklist',
      )
    ).body.entries;
    for (const key of keys) expect(list.map((e) => e.key)).toContain(key);
    const byKey = new Map(list.map((e) => [e.key, e]));
    if (result.added.some((a) => a.key.endsWith('gplpv-windows/1'))) {
      expect(byKey.get('/mh/driver-blacklist/gplpv-windows/1')).toMatchObject({
        reason: 'BSOD on resume AB\tticket "42" \\ o/',
        addedBy: 'alice',
      });
    }

    const script = (await api(url, '/api/v1/blacklist/export?profile=spec')).text;
    for (const key of keys) expect(script).toContain(`xenstore-write '${key}' `);
    const traditional = (await api(url, '/api/v1/blacklist/export')).text;
    expect(traditional).toContain("xenstore-write '/mh/driver-blacklist/xensource-windows/-1' ");

    for (const { key } of result.added) {
      const [, , , product, build] = key.split('/');
      const r = await api(url, `/api/v1/blacklist/${product}/${build}?reason=cleanup`, {
        method: 'DELETE',
        token: TOKENS.alice,
      });
      expect(r.status).toBe(200);
    }
  });
});
