/**
 * `npm run bench [-- name-filter]`: runs bench/*.bench.ts, prints a table and merges the
 * results into bench/results.json (one entry per benchmark, with the machine it ran on).
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import type { Benchmark, Measurement } from './harness';

const dir = __dirname;
const resultsFile = join(dir, 'results.json');

async function main(): Promise<void> {
  const filter = process.argv[2];
  const files = (await readdir(dir)).filter((f) => f.endsWith('.bench.ts')).sort();
  const selected = files.filter((f) => !filter || f.includes(filter));
  if (selected.length === 0) {
    console.error(`no benchmark matches "${filter}" (have: ${files.join(', ')})`);
    process.exit(2);
  }
  const machine = {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
  };
  const previous = await readFile(resultsFile, 'utf8').then(JSON.parse, () => ({}));
  const results: Record<string, unknown> = previous;
  let failed = false;
  for (const file of selected) {
    const bench = (await import(join(dir, file))).default as Benchmark;
    console.error(`running ${bench.name} (${file}) ...`);
    let measurements: Measurement[];
    try {
      measurements = await bench.run();
    } catch (err) {
      failed = true;
      console.error(`${bench.name} failed: ${err instanceof Error ? err.stack : String(err)}`);
      continue;
    }
    console.table(
      measurements.map((m) => ({
        benchmark: m.name,
        value: Math.round(m.value * 100) / 100,
        unit: m.unit,
        detail: m.detail ?? '',
      })),
    );
    results[bench.name] = { date: new Date().toISOString(), machine, measurements };
  }
  await writeFile(resultsFile, JSON.stringify(results, null, 2) + '\n');
  console.error(`results written to ${resultsFile}`);
  if (failed) process.exit(1);
}

void main();
