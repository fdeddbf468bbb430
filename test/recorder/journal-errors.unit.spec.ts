/**
 * Defect: errors that wedged or killed. One failed write wedged the journal for good (the
 * promise chain that started the next write never ran again); the agent's `void flushJournal()`
 * and the shipper's ack outside its `try` became unhandled rejections that kill the process;
 * disk errors were logged as "bus unavailable"; and any cursor read error, not only a missing
 * file, was taken for a fresh journal, so the backlog was skipped.
 */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Agent } from '../../apps/device-model/src/agent';
import { Journal, JournalCursorError } from '../../apps/device-model/src/journal';
import { GatedBus, openHarnessAgent, until } from './agent-harness';
import { FaultFs, watchUnhandledRejections } from './fault-fs';

const values = (records: Array<{ value: Buffer }>) => records.map((r) => r.value.toString());

describe('journal write errors', () => {
  it('a failed write (cut off midway) does not wedge the journal: the next flush writes everything, in order, once', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'magicport-journal-errors-'));
    const fs = new FaultFs(dir);
    const journal = await Journal.open(dir, { fs });
    journal.append({ key: 'k', value: Buffer.from('one') });
    await journal.flush(true);
    fs.fail('ENOSPC', ['write'], true);
    journal.append({ key: 'k', value: Buffer.from('two') });
    journal.append({ key: 'k', value: Buffer.from('three') });
    await expect(journal.flush(true)).rejects.toThrow(/^journal write failed: ENOSPC, disk full/);
    await expect(journal.flush(true)).rejects.toThrow(/^journal write failed: ENOSPC/);
    fs.heal();
    journal.append({ key: 'k', value: Buffer.from('four') });
    await journal.flush(true);
    expect(values((await journal.read(journal.cursor, 1 << 20)).records)).toEqual([
      'one',
      'two',
      'three',
      'four',
    ]);
    await journal.close();
    const reopened = await Journal.open(dir);
    expect(reopened.damage).toEqual([]);
    expect(values((await reopened.read(reopened.cursor, 1 << 20)).records)).toEqual([
      'one',
      'two',
      'three',
      'four',
    ]);
    await reopened.close();
  });

  it('a full disk: reported as ENOSPC, the guest path keeps serving from the bounded queue, writing resumes when space returns; no unhandled rejection', async () => {
    const rejections = watchUnhandledRejections();
    const dir = await mkdtemp(join(tmpdir(), 'magicport-journal-errors-'));
    const fs = new FaultFs(dir);
    const bus = new GatedBus();
    const h = await openHarnessAgent(bus, {
      journalDir: dir,
      journal: { fs },
      maxQueuedEvents: 100,
    });
    h.emit(10);
    await h.agent.drain(5_000);
    const beforeFull = h.nextSeq();

    fs.fail('ENOSPC', ['write', 'create', 'datasync', 'rename']);
    h.emit(1);
    await until('the write failure reported', () => h.logs.some((l) => l.includes('ENOSPC')));
    const failedAt = h.nextSeq();
    h.emit(150); // the guest path answers every access: none of this throws
    const held = h.nextSeq() - failedAt;
    expect(held).toBeGreaterThan(100);
    await new Promise((r) => setTimeout(r, 200));
    fs.heal();
    await until(
      'writing resumed',
      () => h.logs.some((l) => l.startsWith('journal writable again')),
      5_000,
    );
    h.emit(5);
    await h.agent.drain(10_000);
    await h.agent.close(5_000, 0); // records dm.stopped
    const end = h.nextSeq();

    // The first 100 events of the outage were held; the rest did not fit and were dropped.
    const dropped = held - 100;
    const expected = [
      ...Array.from({ length: failedAt + 100 }, (_, s) => s),
      ...Array.from({ length: end - failedAt - held }, (_, i) => failedAt + held + i),
    ];
    const seqs = bus.published.map((e) => e.seq);
    expect(seqs).toEqual(expected);
    expect(beforeFull).toBeLessThan(failedAt);
    // The agent's guest path says so once; the shipper names the disk, never the bus.
    const agentLines = h.logs.filter((l) => /guest path keeps serving|writable again/.test(l));
    expect(agentLines).toHaveLength(2);
    expect(agentLines[0]).toMatch(
      /^journal write failed: ENOSPC, disk full \(ENOSPC: injected fault, write '.*segment-00000001\.log'\); the guest path keeps serving, up to 100 events wait in memory, retrying every 1 s$/,
    );
    expect(agentLines[1]).toBe(
      `journal writable again; ${dropped} events were dropped while it was not (the queue was full)`,
    );
    const shipperLines = h.logs.filter((l) => l.endsWith('; delivery paused, retrying'));
    expect(shipperLines.length).toBeGreaterThan(0);
    for (const line of shipperLines)
      expect(line).toMatch(/^journal(:| write failed:) ENOSPC, disk full/);
    expect(h.logs.filter((l) => l.startsWith('bus unavailable'))).toEqual([]);
    expect(rejections.stop()).toEqual([]);
  });
});

describe('journal cursor errors', () => {
  async function journalWithBacklog() {
    const dir = await mkdtemp(join(tmpdir(), 'magicport-cursor-errors-'));
    const journal = await Journal.open(dir);
    for (let i = 0; i < 3; i++) journal.append({ key: 'k', value: Buffer.from(`r${i}`) });
    await journal.flush(true);
    const { next } = await journal.read(journal.cursor, 10);
    await journal.ack(next, { streams: { dm: 1 } });
    await journal.close();
    return dir;
  }

  it('only a missing cursor means a fresh journal; a corrupt one stops the agent with what to do', async () => {
    const dir = await journalWithBacklog();
    const cursor = await readFile(join(dir, 'cursor.json'), 'utf8');
    await writeFile(join(dir, 'cursor.json'), cursor.slice(0, 20));
    const bus = new GatedBus();
    const error = await Agent.open({ host: 'h', journalDir: dir, maxQueuedEvents: 10 }, bus).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(JournalCursorError);
    expect((error as Error).message).toMatch(
      new RegExp(
        `^journal ${dir}: cursor\\.json is unusable \\(not valid JSON: .+\\)\\. The agent cannot tell which records were delivered, so it does not start\\. Restore cursor\\.json from a backup, or move the journal directory aside to start a fresh one \\(its undelivered records are then not sent and its streams start over\\)\\.$`,
      ),
    );
    // Nothing was touched: the lock is released and the records are still there.
    await writeFile(join(dir, 'cursor.json'), cursor);
    const reopened = await Journal.open(dir);
    expect(values((await reopened.read(reopened.cursor, 1 << 20)).records)).toEqual(['r1', 'r2']);
    await reopened.close();
  });

  it('an unreadable cursor (EIO) is reported as such, not taken for a fresh journal', async () => {
    const dir = await journalWithBacklog();
    const fs = new FaultFs(dir);
    fs.fail('EIO', ['read']);
    await expect(Journal.open(dir, { fs })).rejects.toThrow(
      `journal ${dir}: cursor.json is unusable (cannot read it: EIO, disk I/O error (EIO: injected fault, read '${join(dir, 'cursor.json')}'))`,
    );
  });
});
