import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { agentRuntimeOptions } from '../src/agent-runtime';

describe('agentRuntimeOptions', () => {
  it('takes brokers from the flag before KAFKA_BROKERS, and gzip by default', () => {
    expect(
      agentRuntimeOptions({ brokers: 'a:1', journal: 'j', host: 'h' }, { KAFKA_BROKERS: 'b:2' }),
    ).toEqual({
      brokers: 'a:1',
      journalDir: resolve('j'),
      host: 'h',
      readyTimeoutMs: 30_000,
      compression: 'gzip',
    });
    expect(
      agentRuntimeOptions(
        { host: 'h' },
        { KAFKA_BROKERS: 'b:2', MAGICPORT_KAFKA_COMPRESSION: 'none' },
      ),
    ).toMatchObject({
      brokers: 'b:2',
      compression: 'none',
    });
    expect(agentRuntimeOptions({ host: 'h' }, { KAFKA_BROKERS: '' }).brokers).toBeUndefined();
  });

  it('refuses an unknown compression with a clear message', () => {
    expect(() => agentRuntimeOptions({}, { MAGICPORT_KAFKA_COMPRESSION: 'zstd' })).toThrow(
      'MAGICPORT_KAFKA_COMPRESSION must be gzip or none (got "zstd")',
    );
  });
});
