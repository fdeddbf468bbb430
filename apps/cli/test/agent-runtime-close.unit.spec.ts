import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { agentRuntimeOptions, openAgentRuntime } from '../src/agent-runtime';

async function inProcessRuntime() {
  const journal = await mkdtemp(join(tmpdir(), 'magicport-runtime-'));
  const options = agentRuntimeOptions({ journal, host: 'h' }, {});
  const runtime = await openAgentRuntime(options, () => undefined);
  return { journal, runtime };
}

describe('an in-process agent runtime', () => {
  it('runs in its own in-process-{pid}-* folder inside --journal, removed by close', async () => {
    const { journal, runtime } = await inProcessRuntime();
    expect(await readdir(journal)).toEqual([expect.stringMatching(`^in-process-${process.pid}-`)]);
    await runtime.close(1_000, 0);
    expect(await readdir(journal)).toEqual([]);
  });

  it('still closes the bus and removes its journal when the agent fails to close', async () => {
    const { journal, runtime } = await inProcessRuntime();
    const agentClose = runtime.agent.close.bind(runtime.agent);
    vi.spyOn(runtime.agent, 'close').mockImplementation(async (drain, stop) => {
      await agentClose(drain, stop);
      throw new Error('journal write failed');
    });
    const busClose = vi.spyOn(runtime.bus, 'close');
    await expect(runtime.close(1_000, 0)).rejects.toThrow('journal write failed');
    expect(busClose).toHaveBeenCalledTimes(1);
    expect(await readdir(journal)).toEqual([]);
  });
});
