import { appendFileSync, copyFileSync, renameSync, truncateSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runTap } from '../src/tap/run-tap';
import { inProcessAgent, logTexts, tapOptions, waitFor } from './tap-harness';

/** Guest lines `line <from>` .. `line <to - 1>` as xen_platform_log events with times. */
const lines = (from: number, to: number) =>
  Array.from({ length: to - from }, (_, i) => {
    const n = from + i;
    return `4242@1700000000.${String(n * 10).padStart(6, '0')}:xen_platform_log xen platform: line ${n}\n`;
  }).join('');
const expected = (count: number) => Array.from({ length: count }, (_, n) => `line ${n}`);

/** Starts a following tap; `seen()` is how many lines it has read so far. */
async function follow(path: string) {
  const { agent, close } = await inProcessAgent();
  const controller = new AbortController();
  let seen = 0;
  const messages: string[] = [];
  const running = runTap(agent, tapOptions(path, { follow: true, pollMs: 20 }), {
    signal: controller.signal,
    log: (m) => messages.push(m),
    onProgress: (p) => (seen = p.lines),
    progressEveryMs: 0,
  });
  const until = (count: number) => waitFor(() => seen >= count);
  const stop = async (reason: string) => {
    controller.abort(reason);
    const result = await running;
    return { result, events: await close(result.dm), messages };
  };
  return { until, stop };
}

const tempLog = async () => join(await mkdtemp(join(tmpdir(), 'magicport-follow-')), 'qemu.trace');

describe('dm tap --follow', () => {
  it('loses no line when the log is rotated by rename: the rest of the old file comes first', async () => {
    const path = await tempLog();
    writeFileSync(path, lines(0, 10));
    const tap = await follow(path);
    await tap.until(10);
    // Written and rotated before the tap polls again: lines 10-19 are only in the renamed file.
    appendFileSync(path, lines(10, 20));
    renameSync(path, `${path}.1`);
    writeFileSync(path, lines(20, 30));
    await tap.until(30);
    appendFileSync(path, lines(30, 35));
    await tap.until(35);
    const { result, events, messages } = await tap.stop('SIGTERM');
    expect(logTexts(events)).toEqual(expected(35));
    expect(result.report).toMatchObject({
      lines: 35,
      rotations: 1,
      truncations: 0,
      unparseable: 0,
    });
    expect(messages).toContain(`${path}: rotated; reading the new file from its start`);
    expect(result.stoppedBy).toBe('signal');
    expect(events.at(-1)).toMatchObject({
      type: 'dm.stopped',
      time: '2023-11-14T22:13:20.000340Z',
      data: { reason: 'agent-stop', detail: 'tap stopped (SIGTERM)' },
    });
  });

  it('loses no line across copytruncate, even when the new content outgrows the old before a poll', async () => {
    const path = await tempLog();
    writeFileSync(path, lines(0, 10));
    const tap = await follow(path);
    await tap.until(10);
    copyFileSync(path, `${path}.1`);
    truncateSync(path, 0);
    appendFileSync(path, lines(10, 40)); // more bytes than the tap had read: size alone cannot tell
    await tap.until(40);
    const { result, events } = await tap.stop('SIGINT');
    expect(logTexts(events)).toEqual(expected(40));
    expect(result.report).toMatchObject({
      lines: 40,
      rotations: 0,
      truncations: 1,
      unparseable: 0,
    });
  });

  it('keeps an unfinished last line unread when stopped, and reads it once its newline comes', async () => {
    const path = await tempLog();
    writeFileSync(path, `${lines(0, 2)}4242@1700000000.000020:xen_platform_log xen platform: li`);
    const tap = await follow(path);
    await tap.until(2);
    appendFileSync(path, 'ne 2\n');
    await tap.until(3);
    const unfinished = '4242@1700000000.000030:xen_platform_log xen pla';
    appendFileSync(path, unfinished);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const { events, messages } = await tap.stop('SIGINT');
    expect(logTexts(events)).toEqual(expected(3));
    expect(messages).toEqual([
      `stopped before the end of an unfinished line (${unfinished.length} bytes not recorded)`,
    ]);
  });
});
