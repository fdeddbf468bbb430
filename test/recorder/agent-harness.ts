/**
 * An agent on the in-process bus with one device-model instance whose events are easy to
 * count: `emit(n)` makes it record n events (one port access each), seqs in order.
 */
import { InProcessBus, magicportTopics, type BusRecord } from '@magicport/bus';
import { EVENTS_TOPIC } from '@magicport/events';
import { Agent, type AgentOptions } from '../../apps/device-model/src/agent';
import type { DeviceModelRecorder } from '../../apps/device-model/src/recorder';

export const VM = '6f1c2a3e-0b4d-4c5e-8f90-123456789abc';

/** The in-process bus with a gate on the events topic: closed, publishes wait; `down`, they fail. */
export class GatedBus extends InProcessBus {
  down = false;
  /** Publishes waiting at the closed gate. */
  waiting = 0;
  private gate: Promise<void> | null = null;
  private open: () => void = () => undefined;
  /** Every event published, as (dm, seq), in publish order. */
  readonly published: Array<{ dm: string; seq: number }> = [];

  close_gate(): void {
    this.gate = new Promise((resolve) => (this.open = resolve));
  }

  open_gate(): void {
    this.gate = null;
    this.open();
  }

  override async publish(topic: string, records: readonly BusRecord[]): Promise<void> {
    if (topic === EVENTS_TOPIC) {
      if (this.gate) {
        this.waiting++;
        await this.gate;
        this.waiting--;
      }
      if (this.down) throw new Error('connect ECONNREFUSED (test broker down)');
      for (const r of records) this.published.push(eventId(r.value));
    }
    return super.publish(topic, records);
  }
}

export const eventId = (value: Buffer) => {
  const { dm, seq } = JSON.parse(value.toString('utf8')) as { dm: string; seq: number };
  return { dm, seq };
};

export interface HarnessAgent {
  agent: Agent;
  recorder: DeviceModelRecorder;
  logs: string[];
  /** Seq of the next event the instance records. */
  nextSeq(): number;
  /** Records `n` more events on the instance. */
  emit(n: number): void;
}

export async function openHarnessAgent(
  bus: InProcessBus,
  options: Pick<AgentOptions, 'journalDir' | 'journal'> & Partial<AgentOptions>,
  dm = 'host-1.dm-1',
): Promise<HarnessAgent> {
  await bus.ensureTopics(magicportTopics({ eventPartitions: 3 }));
  const logs: string[] = [];
  const agent = await Agent.open(
    { host: 'host-1', maxQueuedEvents: 10_000, ...options },
    bus,
    (line) => void logs.push(line),
  );
  await agent.blacklist.ready;
  let next = 0;
  const recorder = agent.instance(
    {
      dm,
      vm: VM,
      domid: 7,
      profile: 'qemu-upstream',
      enforceBlacklist: false,
      idleGapMs: 1_000,
      logByteAccesses: false,
      source: 'simulated',
    },
    (event) => void (next = event.seq + 1),
  );
  let t = 1_000_000;
  return {
    agent,
    recorder,
    logs,
    nextSeq: () => next,
    emit(n) {
      for (let i = 0; i < n; i++) recorder.access('in', 0x10, 2, undefined, (t += 10));
    },
  };
}

export const until = async (what: string, check: () => boolean, timeoutMs = 10_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
};
