import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { agentRuntimeOptions } from '../src/agent-runtime';

describe('agentRuntimeOptions', () => {
  it('takes brokers from the flag before KAFKA_BROKERS, gzip and the publish worker by default', () => {
    expect(
      agentRuntimeOptions({ brokers: 'a:1', journal: 'j', host: 'h' }, { KAFKA_BROKERS: 'b:2' }),
    ).toEqual({
      brokers: 'a:1',
      journalDir: resolve('j'),
      host: 'h',
      readyTimeoutMs: 30_000,
      compression: 'gzip',
      publishWorker: true,
    });
    expect(
      agentRuntimeOptions(
        { host: 'h' },
        {
          KAFKA_BROKERS: 'b:2',
          MAGICPORT_KAFKA_COMPRESSION: 'none',
          MAGICPORT_PUBLISH_WORKER: '0',
        },
      ),
    ).toMatchObject({
      brokers: 'b:2',
      compression: 'none',
      publishWorker: false,
    });
    expect(agentRuntimeOptions({}, { MAGICPORT_PUBLISH_WORKER: '1' }).publishWorker).toBe(true);
    expect(agentRuntimeOptions({ host: 'h' }, { KAFKA_BROKERS: '' }).brokers).toBeUndefined();
  });

  it('refuses an unknown compression with a clear message', () => {
    expect(() => agentRuntimeOptions({}, { MAGICPORT_KAFKA_COMPRESSION: 'zstd' })).toThrow(
      'MAGICPORT_KAFKA_COMPRESSION must be gzip or none (got "zstd")',
    );
  });

  it('refuses a publish worker setting other than 0 or 1', () => {
    expect(() => agentRuntimeOptions({}, { MAGICPORT_PUBLISH_WORKER: 'yes' })).toThrow(
      'MAGICPORT_PUBLISH_WORKER must be 0 or 1 (got "yes")',
    );
  });
});
