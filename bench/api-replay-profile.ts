/**
 * One guest's replay request, taken apart: `tsx bench/api-replay-profile.ts [samples]` with
 * MAGICPORT_BENCH_API_DATA=DIR (the api bench's kept dataset; filled on first use) times the
 * HTTP request (wall p50/p95 and the process's CPU per request, engine threads included), then
 * each query the request runs, called directly. For a CPU profile of the JavaScript side run it
 * as `node --cpu-prof --import tsx bench/api-replay-profile.ts`. Not a `*.bench.ts`: it writes
 * no results.
 */
import {
  bootInstances,
  bootRecording,
  DEFAULT_API_QUERY_LIMITS,
  guestHandshakes,
} from '@magicport/store';
// Not exported by the package: the service is called without HTTP to split the request's cost.
import { replayBoot } from '@magicport/server/dist/api/guests/replay.service';
import type { ApiContext } from '@magicport/server/dist/api/api-context';
import { recordedAccesses, replay } from '@magicport/protocol';
import { openDataset, startBenchServer } from './api.bench';

const VM = '00000000-0000-4000-8000-000000001234';

async function measure(name: string, samples: number, call: () => Promise<unknown>): Promise<void> {
  await call();
  const ms: number[] = [];
  const cpu = process.cpuUsage();
  for (let i = 0; i < samples; i++) {
    const t = process.hrtime.bigint();
    await call();
    ms.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  const used = process.cpuUsage(cpu);
  ms.sort((a, b) => a - b);
  const at = (q: number) => ms[Math.min(ms.length - 1, Math.floor(ms.length * q))]!.toFixed(1);
  const cpuMs = ((used.user + used.system) / 1000 / samples).toFixed(1);
  console.log(
    `${name}: min ${at(0)} ms, p50 ${at(0.5)} ms, p95 ${at(0.95)} ms, CPU ${cpuMs} ms/call`,
  );
}

async function main(): Promise<void> {
  if (process.env.MAGICPORT_BENCH_API_DATA === undefined)
    throw new Error('set MAGICPORT_BENCH_API_DATA to the kept dataset directory');
  const samples = Number(process.argv[2] ?? 40);
  const { store, dir, close } = await openDataset(false);
  const server = await startBenchServer(store, dir);
  const limits = DEFAULT_API_QUERY_LIMITS;
  try {
    const url = `${server.url}/api/v1/guests/${VM}/replay?boot=0`;
    const body = await (await fetch(url)).text();
    const parsed = JSON.parse(body) as { accesses: number; timeline: unknown[] };
    console.log(
      `response: ${body.length} bytes, ${parsed.accesses} accesses, ${parsed.timeline.length} timeline entries`,
    );
    await measure('HTTP replay', samples, async () => (await fetch(url)).arrayBuffer());
    if (process.env.MAGICPORT_PROFILE_STEPS === 'http') return;
    // The service without HTTP (blacklist mode `recorded` never reads the blacklist service).
    const api = { store, limits } as unknown as ApiContext;
    await measure('replayBoot (no HTTP)', samples, () => replayBoot(api, { vm: VM, boot: 0 }));
    await measure('replayBoot + JSON.stringify', samples, async () =>
      JSON.stringify(await replayBoot(api, { vm: VM, boot: 0 })),
    );
    // The JavaScript alone on rows read once: the boot's accesses rebuilt and replayed.
    const recording = await bootRecording(store, { vm: VM, boot: 0, dm: 'dm-1234' }, limits);
    await measure('  recordedAccesses + replay (JS only)', samples * 5, async () => {
      const accesses = recordedAccesses(recording.accesses, recording.logLines, false);
      return replay({ accesses, outcomes: [] }, { profile: 'spec' }, { timelineLimit: 5000 });
    });
    if (process.env.MAGICPORT_PROFILE_STEPS !== '0') {
      await measure('  guestHandshakes', samples, () =>
        guestHandshakes(store, { vm: VM, maxBoot: 0, limit: 100_000 }, limits),
      );
      await measure('  bootInstances', samples, () =>
        bootInstances(store, { vm: VM, boot: 0 }, limits),
      );
      await measure('  bootRecording', samples, () =>
        bootRecording(store, { vm: VM, boot: 0, dm: 'dm-1234' }, limits),
      );
      await measure('  SELECT 1', samples, () => store.query('SELECT 1'));
    }
  } finally {
    await server.close();
    await close();
  }
}

void main();
