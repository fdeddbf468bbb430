import { describe, expect, it } from 'vitest';
import { parseStoreConfig, redact, StoreConfigError } from '@magicport/store';

function issuesOf(env: Record<string, string>): string[] {
  try {
    parseStoreConfig(env, '/srv/app');
  } catch (err) {
    expect(err).toBeInstanceOf(StoreConfigError);
    return (err as StoreConfigError).issues.map((i) => `${i.key}: ${i.message}`);
  }
  throw new Error('expected a StoreConfigError');
}

describe('parseStoreConfig', () => {
  it('defaults to embedded chDB under ./.magicport/clickhouse, resolved against cwd', () => {
    expect(parseStoreConfig({}, '/srv/app')).toEqual({
      mode: 'embedded',
      path: '/srv/app/.magicport/clickhouse',
      database: 'magicport',
    });
  });

  it('takes the embedded path from MAGICPORT_CLICKHOUSE_PATH, empty meaning unset', () => {
    expect(parseStoreConfig({ MAGICPORT_CLICKHOUSE_PATH: 'data/ch/' }, '/srv/app')).toMatchObject({
      path: '/srv/app/data/ch',
    });
    expect(
      parseStoreConfig({ MAGICPORT_CLICKHOUSE_PATH: '/var/lib/mp/../ch' }, '/x'),
    ).toMatchObject({
      path: '/var/lib/ch',
    });
    expect(parseStoreConfig({ CLICKHOUSE_URL: '  ', MAGICPORT_CLICKHOUSE_PATH: '' }, '/a')).toEqual(
      {
        mode: 'embedded',
        path: '/a/.magicport/clickhouse',
        database: 'magicport',
      },
    );
  });

  it('splits user, password and database out of CLICKHOUSE_URL', () => {
    expect(
      parseStoreConfig({ CLICKHOUSE_URL: 'https://ingest:p%40ss%3Aw@ch.example:8443/fleet' }),
    ).toEqual({
      mode: 'server',
      url: 'https://ch.example:8443',
      username: 'ingest',
      password: 'p@ss:w',
      database: 'fleet',
    });
  });

  it('defaults the server user to "default" and the database to magicport', () => {
    expect(parseStoreConfig({ CLICKHOUSE_URL: 'http://localhost:8123/' })).toEqual({
      mode: 'server',
      url: 'http://localhost:8123',
      username: 'default',
      password: '',
      database: 'magicport',
    });
  });

  it('prefers the server when both CLICKHOUSE_URL and an embedded path are set', () => {
    const config = parseStoreConfig({
      CLICKHOUSE_URL: 'http://ch:8123',
      MAGICPORT_CLICKHOUSE_PATH: '/data',
    });
    expect(config.mode).toBe('server');
  });

  it('rejects a value that is not a URL, without echoing its password', () => {
    expect(issuesOf({ CLICKHOUSE_URL: 'localhost:8123' })).toEqual([
      'CLICKHOUSE_URL: expected http(s)://[user:password@]host:port[/database], got "localhost:8123"',
    ]);
    expect(issuesOf({ CLICKHOUSE_URL: 'u:hunter2@ch:8123' })).toEqual([
      'CLICKHOUSE_URL: expected http(s)://[user:password@]host:port[/database], got "u:hunter2@ch:8123"',
    ]);
    expect(issuesOf({ CLICKHOUSE_URL: 'http://u:hunter2@[::1' })).toEqual([
      'CLICKHOUSE_URL: not a URL: "http://u:***@[::1"',
    ]);
  });

  it('lists every problem of a bad URL at once', () => {
    expect(issuesOf({ CLICKHOUSE_URL: 'tcp://ch:9000/a/b?secure=1' })).toEqual([
      'CLICKHOUSE_URL: scheme must be http or https, got "tcp" (the HTTP interface, e.g. http://localhost:8123)',
      'CLICKHOUSE_URL: query string and fragment are not supported',
      'CLICKHOUSE_URL: path must be a single database name of letters, digits and _ (got "a/b")',
    ]);
  });

  it('rejects database names that are not plain identifiers', () => {
    expect(issuesOf({ CLICKHOUSE_URL: 'http://ch:8123/x%60%3B%20DROP' })).toEqual([
      'CLICKHOUSE_URL: path must be a single database name of letters, digits and _ (got "x`; DROP")',
    ]);
    expect(issuesOf({ CLICKHOUSE_URL: 'http://ch:8123/9lives' })).toHaveLength(1);
  });

  it('names the bad key and reason in the error message', () => {
    expect(() => parseStoreConfig({ CLICKHOUSE_URL: 'ftp://x' })).toThrow(
      'invalid ClickHouse configuration:\n  - CLICKHOUSE_URL: scheme must be http or https, got "ftp"',
    );
  });

  it('rejects a NUL byte in the embedded path', () => {
    expect(issuesOf({ MAGICPORT_CLICKHOUSE_PATH: 'a\0b' })).toEqual([
      'MAGICPORT_CLICKHOUSE_PATH: contains a NUL byte',
    ]);
  });
});

describe('redact', () => {
  it('hides the password and keeps everything else', () => {
    expect(redact('http://u:secret@ch:8123/db')).toBe('http://u:***@ch:8123/db');
    expect(redact('http://ch:8123')).toBe('http://ch:8123/');
  });
});
