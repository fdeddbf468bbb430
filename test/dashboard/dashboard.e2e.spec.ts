/**
 * The dashboard in a real browser (Debian's headless Chromium driven by playwright-core) against
 * `magicport up` serving a simulated fleet: what each view shows equals what the API answers,
 * and the click path build -> guests -> handshakes -> replayed timeline works.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MissingPrerequisiteError } from '../setup/test-service';
import { buildCli, killLeftoverCli, spawnCli, waitFor, type CliProcess } from '../support/recorder';

const CHROMIUM = process.env.MAGICPORT_CHROMIUM ?? '/usr/bin/chromium';

let dir: string;
let up: CliProcess;
let url: string;
let browser: Browser;
let stdout = '';

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new MissingPrerequisiteError(
      `no Chromium at ${CHROMIUM} for the dashboard tests: install Debian's package ` +
        '(apt-get install chromium; .ci/run does) or set MAGICPORT_CHROMIUM to a Chromium binary',
    );
  }
  await buildCli();
  dir = await mkdtemp(join(tmpdir(), 'magicport-dashboard-'));
  up = spawnCli([
    'up',
    '--guests',
    '80',
    '--seed',
    '11',
    '--port',
    '0',
    '--clickhouse-path',
    join(dir, 'ch'),
  ]);
  up.child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  await waitFor('magicport up to serve', () => stdout.includes('Ctrl-C stops'), 120_000, 100);
  url = /magicport is up: (http:\/\/\S+)/.exec(stdout)![1]!;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    // Without the background-networking flags Chromium keeps trying to reach Google's hosts.
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  up?.child.kill('SIGTERM');
  await up?.exited;
  await killLeftoverCli();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function json<T>(path: string): Promise<T> {
  const response = await fetch(`${url}${path}`);
  expect(response.status, path).toBe(200);
  return (await response.json()) as T;
}

interface Build {
  product: number | null;
  build: number | null;
  guests: number;
}

async function allBuilds(): Promise<Build[]> {
  const items: Build[] = [];
  let cursor: string | undefined;
  do {
    const page = await json<{ items: Build[]; nextCursor: string | null }>(
      `/api/v1/fleet/builds?limit=1000${cursor ? `&cursor=${cursor}` : ''}`,
    );
    items.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return items;
}

/** A page of the dashboard, failing the test on any script error in it. */
async function openDashboard(path = '/'): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(`${url}${path}`);
  return { page, errors };
}

describe('dashboard', () => {
  it('shows the fleet builds and the blacklist hits per day the API answers', async () => {
    const builds = await allBuilds();
    const summary = await json<{ days: { day: string; hits: number }[] }>(
      '/api/v1/blacklist/hits/summary',
    );
    const { page, errors } = await openDashboard();
    expect(page.url()).toBe(`${url}/dashboard`);
    await page.locator('#builds rect.bar').first().waitFor();
    await page.locator('#hits g[data-day]').first().waitFor();

    const bars = page.locator('#builds rect.bar');
    expect(await bars.count()).toBe(Math.min(15, builds.length));
    const guestsShown = (await bars.evaluateAll((rects) =>
      rects.map((r) => Number(r.getAttribute('data-guests'))),
    )) as number[];
    const top = builds.map((b) => b.guests).sort((a, b) => b - a);
    expect(guestsShown).toEqual(top.slice(0, 15));

    const perDay = new Map<string, number>();
    for (const row of summary.days) perDay.set(row.day, (perDay.get(row.day) ?? 0) + row.hits);
    const days = (await page
      .locator('#hits g[data-day]')
      .evaluateAll((groups) =>
        groups.map((g) => [g.getAttribute('data-day'), Number(g.getAttribute('data-hits'))]),
      )) as [string, number][];
    expect(days).toEqual([...perDay].sort(([a], [b]) => a.localeCompare(b)));
    expect(errors).toEqual([]);
    await page.close();
  });

  it('build -> guests -> handshakes -> replayed timeline, each as the API has it', async () => {
    const builds = await allBuilds();
    const top = [...builds].sort((a, b) => b.guests - a.guests)[0]!;
    const guests = await json<{ items: { vm: string }[]; guests: number }>(
      `/api/v1/fleet/guests?product=${top.product}&build=${top.build}&limit=20`,
    );
    const vm = guests.items[0]!.vm;
    const handshakes = await json<{ items: { boot: number }[] }>(
      `/api/v1/guests/${vm}/handshakes?limit=1000`,
    );
    const boot = handshakes.items[0]!.boot;
    const replay = await json<{ timeline: unknown[]; matches: boolean }>(
      `/api/v1/guests/${vm}/replay?boot=${boot}`,
    );
    expect(replay.matches).toBe(true);

    const { page, errors } = await openDashboard('/dashboard');
    await page.locator('#builds rect.bar').first().click();
    await page.locator('#guests tbody tr').first().waitFor();
    expect(await page.locator('#guests tbody tr').count()).toBe(guests.items.length);
    expect(await page.locator('#guests [data-status]').textContent()).toContain(
      `${guests.guests} guests`,
    );

    await page.locator('#guests tbody tr').first().click();
    await page.locator('#timeline [data-handshakes] tbody tr').first().waitFor();
    expect(await page.locator('#timeline [data-handshakes] tbody tr').count()).toBe(
      handshakes.items.length,
    );
    expect(page.url()).toBe(`${url}/dashboard?vm=${vm}`);

    await page.locator('#timeline [data-handshakes] tbody tr').first().click();
    await page.locator('#timeline [data-timeline] tbody tr').first().waitFor();
    expect(await page.locator('#timeline [data-timeline] tbody tr').count()).toBe(
      replay.timeline.length,
    );
    expect(await page.locator('#timeline [data-replay-status]').textContent()).toContain(
      'every replayed outcome matches the recorded one',
    );
    expect(errors).toEqual([]);
    await page.close();
  });

  it('answers a VM typed in with what the API says, shown as text whatever it holds', async () => {
    const { page, errors } = await openDashboard('/dashboard');
    const status = page.locator('#timeline [data-status]');
    const ask = async (vm: string) => {
      await page.fill('#timeline input[name=vm]', vm);
      await page.click('#timeline button[type=submit]');
      await waitFor(
        `the answer for ${vm}`,
        async () => !(await status.textContent())?.startsWith('Loading'),
        10_000,
        50,
      );
      return status.textContent();
    };
    const hostile = '<img src=x onerror="window.pwned=1">';
    expect(await ask(hostile)).toBe(
      'Could not load the handshakes: 400: vm: expected guest UUID, lowercase canonical form',
    );
    expect(await status.getAttribute('class')).toBe('status error');
    expect(await page.locator('img').count()).toBe(0);
    expect(await page.evaluate(() => (globalThis as { pwned?: number }).pwned)).toBeUndefined();
    const unknown = '00000000-0000-4000-8000-000000000000';
    expect(await ask(unknown)).toBe(`No handshakes recorded for ${unknown}.`);
    expect(await page.locator('#timeline [data-handshakes] tbody tr').count()).toBe(0);
    expect(errors).toEqual([]);
    await page.close();
  });
});
