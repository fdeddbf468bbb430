import { decide, evolve, type BlacklistView } from '@magicport/blacklist';
import type { Bus } from '@magicport/bus';
import {
  BLACKLIST_TOPIC,
  createBlacklistStamper,
  encodeEvent,
  recordKeyOf,
} from '@magicport/events';

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
 * Publishes the simulated blacklist entries that are not listed yet, as `actor`, and resolves
 * once `view` has applied them; returns how many it added. The stream id is unique to this
 * writer run, so event ids never collide.
 */
export async function seedSimulatedBlacklist(
  bus: Bus,
  view: BlacklistView,
  writer: { host: string; stream: string; actor: string },
  timeoutMs = 30_000,
): Promise<number> {
  const stamper = createBlacklistStamper({ host: writer.host, dm: writer.stream });
  let state = view.current;
  const records = [];
  for (const entry of SIMULATED_BLACKLIST) {
    const key = `/mh/driver-blacklist/${entry.product}/${entry.build}`;
    if (state.entries.has(key)) continue;
    const change = decide({ kind: 'add', ...entry, actor: writer.actor }, state);
    const event = stamper.stamp(change.type, change.data);
    state = evolve(state, event);
    records.push({ key: recordKeyOf(event), value: encodeEvent(event) });
  }
  await bus.publish(BLACKLIST_TOPIC, records);
  const deadline = Date.now() + timeoutMs;
  while (view.revision < state.revision) {
    if (Date.now() > deadline)
      throw new Error(
        `blacklist view did not reach revision ${state.revision} within ${timeoutMs} ms`,
      );
    await new Promise((r) => setTimeout(r, 10));
  }
  return records.length;
}
