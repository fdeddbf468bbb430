/**
 * Defect: sources that cannot replay. A restarted tap re-read its file from byte 0 and the agent
 * dropped every event below the stream's journaled seq, relying on the file to regenerate the
 * same events; after a copytruncate (same inode, same stream id) the lines written while the
 * agent was down were dropped that way. Now the tap's position (file identity, byte offset, line
 * number) is stored with the acknowledgement: a restarted tap resumes there, and a file that is
 * no longer the one the position was taken in is read from its start as new input.
 */
import { mkdtemp, readFile, truncate, writeFile, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InProcessBus, magicportTopics } from '@magicport/bus';
import { decodeEvent, EVENTS_TOPIC, type GuestEvent } from '@magicport/events';
import { Agent } from '../../apps/device-model/src/agent';
import { runTap } from '../../apps/device-model/src/tap/run-tap';
import { TAP_DEFAULTS } from '../../apps/device-model/src/tap/tap-options';
import { watchUnhandledRejections } from './fault-fs';

const TRACE = join(__dirname, '../../examples/traces/gplpv-blacklisted.pid.trace');
const DM = 'host-1.tap-1';

/** One tap of `path` to its end by an agent on `journalDir`; the events the bus got, and the log. */
async function tapOnce(journalDir: string, path: string) {
  const bus = new InProcessBus();
  await bus.ensureTopics(magicportTopics({ eventPartitions: 2 }));
  const events: GuestEvent[] = [];
  await bus.subscribe({
    topic: EVENTS_TOPIC,
    groupId: 'tap-position-test',
    fromBeginning: true,
    onBatch: async (batch) => {
      for (const r of batch.records) {
        const d = decodeEvent(r.value);
        if (d.ok) events.push(d.event as GuestEvent);
      }
    },
  });
  const agent = await Agent.open({ host: 'host-1', journalDir, maxQueuedEvents: 10_000 }, bus);
  await agent.blacklist.ready;
  const log: string[] = [];
  const result = await runTap(
    agent,
    {
      ...TAP_DEFAULTS,
      path,
      vm: '6f1c2b1e-3c4d-4e5f-8a9b-0c1d2e3f4a5b',
      host: 'host-1',
      domid: 7,
      dm: DM,
    },
    { log: (m) => void log.push(m) },
  );
  await agent.close(10_000, 0);
  const deadline = Date.now() + 5_000;
  while (!events.some((e) => e.type === 'dm.stopped') && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 5));
  await bus.close();
  return { events: events.filter((e) => e.dm === DM), log, lines: result.report.lines };
}

const seqs = (events: GuestEvent[]) => events.map((e) => e.seq);
const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);

async function traceParts() {
  const lines = (await readFile(TRACE, 'utf8')).split('\n').filter(Boolean);
  const cut = Math.floor(lines.length / 2);
  return {
    first: lines.slice(0, cut).join('\n') + '\n',
    second: lines.slice(cut).join('\n') + '\n',
    secondLines: lines.length - cut,
  };
}

describe('tap source position', () => {
  it('a file truncated (copytruncate) while the agent was down is read from its start as new input: its lines are recorded, nothing skipped', async () => {
    const rejections = watchUnhandledRejections();
    const dir = await mkdtemp(join(tmpdir(), 'magicport-tap-position-'));
    const journal = join(dir, 'journal');
    const path = join(dir, 'qemu.trace');
    const { first, second, secondLines } = await traceParts();
    await writeFile(path, first + second);
    const run1 = await tapOnce(journal, path);
    const next = run1.events.length;
    expect(seqs(run1.events)).toEqual(range(0, next));

    // copytruncate: same inode, emptied, and new (shorter) lines written while no tap ran.
    await truncate(path, 0);
    await appendFile(path, second);
    const run2 = await tapOnce(journal, path);
    // What a fresh tap of those lines records, as the continuation of the same stream.
    const alone = await (async () => {
      const p = join(dir, 'alone.trace');
      await writeFile(p, second);
      return tapOnce(join(dir, 'alone-journal'), p);
    })();
    expect(run2.lines).toBe(secondLines);
    expect(run2.log).toContain(
      `${path}: not the file the stored position (byte ${Buffer.byteLength(first + second)}, line ${run1.lines}) was taken in (replaced, truncated or rewritten); reading it from its start as new input`,
    );
    expect(run2.events.map((e) => e.type)).toEqual(alone.events.map((e) => e.type));
    expect(seqs(run2.events)).toEqual(range(next, alone.events.length));
    expect(rejections.stop()).toEqual([]);
  });

  it('a file that grew while the agent was down is resumed at the stored byte offset and line: only the new lines are read', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'magicport-tap-position-'));
    const journal = join(dir, 'journal');
    const path = join(dir, 'qemu.trace');
    const { first, second, secondLines } = await traceParts();
    await writeFile(path, first);
    const run1 = await tapOnce(journal, path);
    await appendFile(path, second);
    const run2 = await tapOnce(journal, path);
    expect(run2.log).toContain(
      `${path}: resuming at byte ${Buffer.byteLength(first)} (line ${run1.lines + 1})`,
    );
    expect(run2.lines).toBe(secondLines);
    const all = [...run1.events, ...run2.events];
    expect(seqs(all)).toEqual(range(0, all.length));
    expect(run2.events.length).toBeGreaterThan(1);
  });
});
