/**
 * docker-compose.yml cannot run here (no Docker engine), so what can rot in it is checked
 * statically: every magicport service runs a command the CLI has, with options that command
 * takes, and an environment the config loader accepts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '@magicport/config';
import { buildProgram } from '../../apps/cli/src/program';

interface Service {
  image?: string;
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
}

const compose = parse(readFileSync(join(__dirname, '..', '..', 'docker-compose.yml'), 'utf8'), {
  merge: true,
}) as { services: Record<string, Service> };
const magicport = Object.entries(compose.services).filter(([, s]) => s.image === 'magicport:local');

/** `${NAME:-default}` as compose substitutes it with NAME unset. */
const substituted = (value: string) => value.replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1');

describe('docker-compose.yml', () => {
  it('has two server replicas in one consumer group and a fleet', () => {
    expect(magicport.map(([name, s]) => [name, s.command?.[0]])).toEqual([
      ['server-1', 'serve'],
      ['server-2', 'serve'],
      ['fleet', 'simulate'],
    ]);
    const groups = magicport
      .filter(([, s]) => s.command?.[0] === 'serve')
      .map(([, s]) => s.environment?.MAGICPORT_INGEST_GROUP);
    expect(groups).toEqual(['magicport-ingest', 'magicport-ingest']);
  });

  for (const [name, service] of magicport) {
    it(`${name}: a command and options the CLI has, an environment the loader accepts`, () => {
      const [command, ...args] = service.command!;
      const cli = buildProgram().commands.find((c) => c.name() === command);
      expect(cli, `magicport ${command}`).toBeDefined();
      const known = new Set(cli!.options.map((o) => o.long));
      for (const flag of args.filter((a) => a.startsWith('--'))) {
        expect(known.has(flag), `magicport ${command} ${flag}`).toBe(true);
      }
      const env = Object.fromEntries(
        Object.entries(service.environment ?? {}).map(([k, v]) => [k, substituted(String(v))]),
      );
      const config = loadConfig(env);
      expect(config.kafka.brokers).toEqual(['kafka:9092']);
      if (command === 'serve') {
        expect(config.store).toMatchObject({ mode: 'server', database: 'magicport' });
        expect(config.http).toEqual({ host: '0.0.0.0', port: 8080 });
      }
    });
  }
});
