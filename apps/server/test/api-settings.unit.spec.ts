import type { Request } from 'express';
import { describe, expect, it } from 'vitest';
import { hashToken } from '@magicport/blacklist';
import { ApiProblem } from '../src/api/api-problem';
import { ApiSettings } from '../src/api/api-settings';

const config = (reads: 'open' | 'token') => ({
  blacklistTokens: `alice:${hashToken('a-token')}`,
  reads,
  queryTimeoutSeconds: 7,
  queryMaxMemoryBytes: 64 * 1024 * 1024,
});
const request = (authorization?: string) =>
  ({ headers: authorization ? { authorization } : {} }) as unknown as Request;
const status = (call: () => unknown) => {
  try {
    call();
    return 'allowed';
  } catch (err) {
    return err instanceof ApiProblem ? err.status : err;
  }
};

describe('ApiSettings.authorize', () => {
  it('writes need a configured token; the actor is its name', () => {
    const settings = new ApiSettings(config('open'));
    expect(settings.authorize(request('Bearer a-token'), 'write')).toBe('alice');
    expect(status(() => settings.authorize(request(), 'write'))).toBe(401);
    expect(status(() => settings.authorize(request('Bearer wrong'), 'write'))).toBe(401);
    expect(status(() => settings.authorize(request('Basic YTpi'), 'write'))).toBe(401);
  });

  it('reads are open by default and need a token with MAGICPORT_API_READS=token', () => {
    expect(new ApiSettings(config('open')).authorize(request(), 'read')).toBeNull();
    const closed = new ApiSettings(config('token'));
    expect(status(() => closed.authorize(request(), 'read'))).toBe(401);
    expect(closed.authorize(request('Bearer a-token'), 'read')).toBe('alice');
  });

  it('carries the configured query limits and refuses a bad token table at start', () => {
    expect(new ApiSettings(config('open')).limits).toEqual({
      maxExecutionTimeSeconds: 7,
      maxMemoryUsageBytes: 64 * 1024 * 1024,
    });
    expect(() => new ApiSettings({ ...config('open'), blacklistTokens: 'alice:not-hex' })).toThrow(
      /sha256/,
    );
  });
});
