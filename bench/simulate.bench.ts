/**
 * Peak memory (RSS) of `magicport simulate` as the fleet grows: the built CLI, in-process bus,
 * as a user runs it. Memory must stay flat in the number of guests (plans are streamed, a
 * guest's state lives while it boots); the target is <= 500 MB at 1,000,000 guests.
 * `MAGICPORT_BENCH_SIMULATE=10000x2,100000x2` picks the runs (guests x boots).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Benchmark, Measurement } from './harness';

const cli = join(__dirname, '..', 'apps', 'cli', 'dist', 'main.js');
const RUNS = process.env.MAGICPORT_BENCH_SIMULATE ?? '10000x2,100000x2,1000000x1';

/** Loaded into the CLI's process: reports its peak RSS on exit, on fd 3. */
const REPORTER = `process.on('exit', () => require('node:fs').writeSync(3, String(process.resourceUsage().maxRSS)));\n`;

async function simulate(
  dir: string,
  reporter: string,
  guests: number,
  boots: number,
): Promise<{ rssMB: number; seconds: number; events: number }> {
  const began = Date.now();
  const args = ['-r', reporter, cli, 'simulate', '--guests', String(guests), '--hosts', '100'];
  args.push('--boots', String(boots), '--no-progress', '--json', '--journal', dir);
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit', 'pipe'] });
  let stdout = '';
  let rss = '';
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stdio[3]!.on('data', (c: Buffer) => (rss += c.toString()));
  const code = await new Promise<number | null>((r) => child.on('close', r));
  if (code !== 0) throw new Error(`simulate --guests ${guests} exited ${code}`);
  return {
    rssMB: Number(rss) / 1024,
    seconds: (Date.now() - began) / 1000,
    events: (JSON.parse(stdout) as { totalEvents: number }).totalEvents,
  };
}

const bench: Benchmark = {
  name: 'simulate',
  async run(): Promise<Measurement[]> {
    const dir = await mkdtemp(join(tmpdir(), 'magicport-bench-simulate-'));
    const reporter = join(dir, 'report-max-rss.js');
    await writeFile(reporter, REPORTER);
    const measurements: Measurement[] = [];
    try {
      for (const run of RUNS.split(',')) {
        const [guests, boots] = run.split('x').map(Number) as [number, number];
        const r = await simulate(join(dir, 'journal'), reporter, guests, boots);
        measurements.push({
          name: `simulate ${guests.toLocaleString('en-US')} guests x ${boots} boots (in-process): peak RSS`,
          value: r.rssMB,
          unit: 'MB',
          detail: `${r.events.toLocaleString('en-US')} events in ${r.seconds.toFixed(0)} s; target <= 500 MB at 1,000,000 guests`,
        });
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    return measurements;
  },
};

export default bench;
