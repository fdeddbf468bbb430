import { createServer } from 'node:net';

/** Listening on port 0 is how the OS hands out a free port; the socket is closed right away. */
export function freePort(): Promise<number> {
  return listenOnce(0);
}

export function parsePort(text: string, option: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port < 1 || port > 65535) {
    throw new Error(`${option} must be a port number from 1 to 65535, got "${text}"`);
  }
  return port;
}

/** Fails with a one-line reason when something already listens on 127.0.0.1:port. */
export async function requireFreePort(port: number, purpose: string): Promise<number> {
  try {
    return await listenOnce(port);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'EADDRINUSE' ? 'is busy' : `cannot be used (${code ?? String(err)})`;
    throw new Error(`port ${port} on 127.0.0.1 ${why}: choose another ${purpose}`, { cause: err });
  }
}

function listenOnce(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => {
      const address = server.address();
      const chosen = typeof address === 'object' && address ? address.port : port;
      server.close(() => resolve(chosen));
    });
  });
}
