import { BlacklistCommandError, BlacklistWriter, type BlacklistView } from '@magicport/blacklist';
import type { Bus } from '@magicport/bus';

/** Entries a simulated fleet runs against, so every profile's blacklist behaviour shows up. */
export const SIMULATED_BLACKLIST = [
  {
    product: 'experimental',
    build: 590080,
    reason: 'win-pv 9.1.0 (product 0xffff): simulated bad build',
  },
  { product: 'gplpv-windows', build: 1, reason: 'GPLPV: simulated bad build' },
  { product: 'linux', build: 1, reason: 'Linux PV-on-HVM: only the spec profile can blacklist it' },
  {
    product: 'xenserver-windows-v7.2+',
    build: 590080,
    reason: 'XenServer vendor build: simulated bad build',
  },
] as const;

/**
 * Adds the simulated blacklist entries that are not listed yet, as `actor`, through a
 * BlacklistWriter (so a concurrent writer never shares a revision with them), and resolves once
 * `view` has applied them; returns how many it added. The stream id is unique to this writer
 * run, so event ids never collide.
 */
export async function seedSimulatedBlacklist(
  bus: Bus,
  view: BlacklistView,
  writer: { host: string; stream: string; actor: string },
  timeoutMs = 30_000,
): Promise<number> {
  const blacklist = new BlacklistWriter(bus, { host: writer.host, stream: writer.stream });
  let added = 0;
  let revision = 0;
  for (const entry of SIMULATED_BLACKLIST) {
    try {
      const result = await blacklist.execute({ kind: 'add', ...entry, actor: writer.actor });
      revision = result.event.data.revision;
      added++;
    } catch (err) {
      // Listed already (by an earlier run, or another writer just now): nothing to add.
      if (!(err instanceof BlacklistCommandError && err.code === 'already-listed')) throw err;
    }
  }
  const deadline = Date.now() + timeoutMs;
  while (view.revision < revision) {
    if (Date.now() > deadline)
      throw new Error(`blacklist view did not reach revision ${revision} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
  return added;
}
