import { createRequire } from 'node:module';
import { containerRuntimeAvailable } from './container-runtime';
import type { ClickHouseService } from './provided-context';
import { MissingPrerequisiteError, nothingToStop, type TestService } from './test-service';

const clickhouseImage = 'clickhouse/clickhouse-server:25.8';

/** CLICKHOUSE_URL, else a testcontainers server, else embedded chDB (nothing to start). */
export async function resolveClickHouse(
  env: NodeJS.ProcessEnv,
  progress: (message: string) => void,
): Promise<TestService<ClickHouseService>> {
  const fromEnv = env.CLICKHOUSE_URL?.trim();
  if (fromEnv) {
    return {
      value: { kind: 'server', url: parseClickHouseUrl(fromEnv) },
      description: `${redact(fromEnv)} (CLICKHOUSE_URL)`,
      stop: nothingToStop,
    };
  }
  if (await containerRuntimeAvailable()) return startClickHouseContainer(progress);
  requireChdb();
  return { value: { kind: 'embedded' }, description: 'embedded chDB', stop: nothingToStop };
}

export function parseClickHouseUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(
      `CLICKHOUSE_URL must be an http(s) URL such as http://127.0.0.1:8123, got "${redact(text)}"`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(
      `CLICKHOUSE_URL must use http or https (the HTTP interface), got "${url.protocol}"`,
    );
  }
  return text;
}

// Test output must not print a password from the URL.
function redact(text: string): string {
  return text.replace(/\/\/([^:/@]+):[^@/]*@/, '//$1:***@');
}

function requireChdb(): void {
  try {
    createRequire(import.meta.url).resolve('chdb');
  } catch {
    throw new MissingPrerequisiteError(
      'no ClickHouse for the tests: CLICKHOUSE_URL is unset, no container runtime answers, and the chdb package for embedded ClickHouse is not installed: run npm install (or set CLICKHOUSE_URL)',
    );
  }
}

async function startClickHouseContainer(
  progress: (message: string) => void,
): Promise<TestService<ClickHouseService>> {
  progress(`starting ClickHouse container ${clickhouseImage}`);
  const { ClickHouseContainer } = await import('@testcontainers/clickhouse');
  const container = await new ClickHouseContainer(clickhouseImage).start();
  return {
    value: { kind: 'server', url: container.getConnectionUrl() },
    description: `${container.getHttpUrl()} (testcontainers ${clickhouseImage})`,
    stop: async () => void (await container.stop()),
  };
}
