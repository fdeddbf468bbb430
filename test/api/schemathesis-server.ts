/**
 * A throwaway magicport server for the schemathesis run (test/api/schemathesis.sh): embedded
 * chDB in a temp directory, the in-process bus, one blacklist entry; prints its URL, stops on
 * SIGTERM/SIGINT and removes its data.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashToken } from '@magicport/blacklist';
import { InProcessBus } from '@magicport/bus';
import { loadConfig } from '@magicport/config';
import { createLogger, startServer } from '@magicport/server';

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'magicport-schemathesis-'));
  const config = loadConfig({
    MAGICPORT_CLICKHOUSE_PATH: dir,
    MAGICPORT_HTTP_PORT: process.env.PORT ?? '0',
    MAGICPORT_LOG_LEVEL: 'error',
    MAGICPORT_BLACKLIST_TOKENS: `schemathesis:${hashToken('schemathesis-token')}`,
  });
  const server = await startServer({
    config,
    logger: createLogger(config.log),
    bus: new InProcessBus(),
  });
  const add = await fetch(`${server.url}/api/v1/blacklist`, {
    method: 'POST',
    headers: { authorization: 'Bearer schemathesis-token', 'content-type': 'application/json' },
    body: JSON.stringify({ product: 'linux', build: 1, reason: 'schemathesis fixture' }),
  });
  if (add.status !== 201) throw new Error(`fixture entry: ${add.status} ${await add.text()}`);
  process.stdout.write(`${server.url}\n`);
  const stop = async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
}

main().catch((error: unknown) => {
  process.stderr.write(
    `schemathesis server: ${error instanceof Error ? error.stack : String(error)}\n`,
  );
  process.exit(1);
});
