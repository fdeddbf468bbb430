import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InProcessBus, magicportTopics } from '@magicport/bus';
import { decodeEvent, EVENTS_TOPIC, type GuestEvent } from '@magicport/events';
import { Agent } from '../src/agent';
import { runTap, type TapHooks, type TapResult } from '../src/tap/run-tap';
import { TAP_DEFAULTS, type TapOptions } from '../src/tap/tap-options';

export const VM = '6f1c2b1e-3c4d-4e5f-8a9b-0c1d2e3f4a5b';
export const TRACES = join(__dirname, '../../../examples/traces');

/** An agent on an in-process bus, and every guest event the bus received, decoded. */
export async function inProcessAgent() {
  const bus = new InProcessBus();
  await bus.ensureTopics(magicportTopics({ eventPartitions: 2 }));
  const events: GuestEvent[] = [];
  const invalid: string[] = [];
  await bus.subscribe({
    topic: EVENTS_TOPIC,
    groupId: 'tap-test',
    fromBeginning: true,
    onBatch: async (batch) => {
      for (const record of batch.records) {
        const decoded = decodeEvent(record.value);
        if (decoded.ok) events.push(decoded.event as GuestEvent);
        else invalid.push(decoded.reason);
      }
    },
  });
  const journalDir = await mkdtemp(join(tmpdir(), 'magicport-tap-'));
  const agent = await Agent.open({ host: 'tap-test', journalDir, maxQueuedEvents: 10_000 }, bus);
  await agent.blacklist.ready;
  /** Stops the agent, delivering everything, and waits until the bus has `dm`'s dm.stopped. */
  const close = async (dm: string): Promise<GuestEvent[]> => {
    await agent.close(10_000, 0);
    await waitFor(
      () => invalid.length > 0 || events.some((e) => e.dm === dm && e.type === 'dm.stopped'),
    );
    await bus.close();
    if (invalid.length > 0) throw new Error(`invalid events on the bus: ${invalid.join('; ')}`);
    return events.filter((e) => e.dm === dm);
  };
  return { agent, bus, events, close };
}

export function tapOptions(path: string, overrides: Partial<TapOptions> = {}): TapOptions {
  return {
    ...TAP_DEFAULTS,
    path,
    vm: VM,
    host: 'host-1',
    domid: 7,
    dm: 'host-1.tap-1',
    ...overrides,
  };
}

/** Taps one file to its end through a fresh agent; the events the bus received for it. */
export async function tapFile(
  path: string,
  overrides: Partial<TapOptions> = {},
  hooks: TapHooks = {},
): Promise<{ result: TapResult; events: GuestEvent[] }> {
  const { agent, close } = await inProcessAgent();
  const result = await runTap(agent, tapOptions(path, overrides), hooks);
  return { result, events: await close(result.dm) };
}

/** Writes `content` to a fresh temporary file and taps it. */
export async function tapText(content: string | Buffer, overrides: Partial<TapOptions> = {}) {
  const path = join(await mkdtemp(join(tmpdir(), 'magicport-trace-')), 'trace.log');
  await writeFile(path, content);
  return tapFile(path, overrides);
}

export function ofType<T extends GuestEvent['type']>(events: GuestEvent[], type: T) {
  return events.filter((e): e is Extract<GuestEvent, { type: T }> => e.type === type);
}

export const outcomes = (events: GuestEvent[]) =>
  ofType(events, 'handshake.outcome').map((e) => e.data);
export const logTexts = (events: GuestEvent[]) =>
  ofType(events, 'guest.log').map((e) => e.data.text);

export async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
