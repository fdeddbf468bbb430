import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore, parseStoreConfig, StoreOpenError } from '@magicport/store';

const retry = { attempts: 3, baseDelayMs: 10, maxDelayMs: 20 };
let server: Server | undefined;

function listen(onConnection: (socket: import('node:net').Socket) => void): Promise<number> {
  server = createServer(onConnection);
  return new Promise((resolve) => {
    server!.listen(0, '127.0.0.1', () => resolve((server!.address() as { port: number }).port));
  });
}

afterEach(async () => {
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
});

describe('opening a ClickHouse server that does not answer', () => {
  it('retries a refused connection, then names the target without the password', async () => {
    const port = await listen(() => undefined);
    await new Promise((resolve) => server!.close(resolve));
    server = undefined;
    const config = parseStoreConfig({
      CLICKHOUSE_URL: `http://ingest:s3cret@127.0.0.1:${port}/fleet`,
    });

    const failure = openStore(config, { retry });
    await expect(failure).rejects.toBeInstanceOf(StoreOpenError);
    await expect(failure).rejects.toThrow(
      `cannot reach ClickHouse server http://127.0.0.1:${port} (database fleet) (3 attempts): ` +
        `connect ECONNREFUSED 127.0.0.1:${port}. Is it running, and is the URL right?`,
    );
    await expect(failure).rejects.not.toThrow('s3cret');
  });

  it('retries a connection the far end resets, once per attempt', async () => {
    let connections = 0;
    const port = await listen((socket) => {
      connections++;
      socket.resetAndDestroy();
    });
    const config = parseStoreConfig({ CLICKHOUSE_URL: `http://127.0.0.1:${port}` });

    await expect(openStore(config, { retry })).rejects.toThrow(
      /\(3 attempts\): ((connect|read) ECONNRESET|socket hang up)/,
    );
    expect(connections).toBe(3);
  });
});
