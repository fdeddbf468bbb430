import type { ArgumentsHost } from '@nestjs/common';
import { NotFoundException } from '@nestjs/common';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { BlacklistCommandError } from '@magicport/blacklist';
import { StoreError } from '@magicport/store';
import { ApiProblem } from '../src/api/api-problem';
import { ProblemFilter } from '../src/api/problem.filter';

function engineError(type: string, message: string): Error {
  const error = new Error(message) as Error & { code: string; type: string };
  error.code = '159';
  error.type = type;
  return error;
}

const storeError = (cause: unknown) =>
  new StoreError(
    {
      operation: 'query',
      target: 'embedded chDB at /x',
      attempts: 1,
      statement: 'SELECT secret_column FROM t',
    },
    cause,
  );

function answer(error: unknown) {
  const sent: {
    status?: number;
    type?: string;
    body?: Record<string, unknown>;
    headers: Record<string, string>;
  } = { headers: {} };
  const response = {
    headersSent: false,
    setHeader: (k: string, v: string) => (sent.headers[k] = v),
    status(code: number) {
      sent.status = code;
      return this;
    },
    type(t: string) {
      sent.type = t;
      return this;
    },
    send(body: string) {
      sent.body = JSON.parse(body) as Record<string, unknown>;
      return this;
    },
  };
  const request = { method: 'GET', originalUrl: '/api/v1/x', path: '/api/v1/x' };
  const host = {
    switchToHttp: () => ({ getRequest: () => request, getResponse: () => response }),
  } as unknown as ArgumentsHost;
  new ProblemFilter(pino({ level: 'silent' })).catch(error, host);
  return sent;
}

describe('ProblemFilter', () => {
  it.each([
    [
      storeError(engineError('TIMEOUT_EXCEEDED', 'Timeout exceeded: elapsed 1.2 seconds')),
      504,
      /time limit/,
    ],
    [
      storeError(engineError('MEMORY_LIMIT_EXCEEDED', 'Memory limit (for query) exceeded')),
      503,
      /memory/,
    ],
    [
      storeError(new Error('OptimizedRegularExpression: cannot compile re2: (')),
      400,
      /^grep: not a valid RE2/,
    ],
    [
      storeError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })),
      503,
      /not answering/,
    ],
    [
      storeError(engineError('UNKNOWN_TABLE', 'Table magicport.x does not exist')),
      500,
      /server log/,
    ],
    [
      new BlacklistCommandError(
        'already-listed',
        '/mh/driver-blacklist/linux/1 is already blacklisted',
      ),
      409,
      /already blacklisted/,
    ],
    [new BlacklistCommandError('unknown-product', 'unknown product "x"'), 400, /unknown product/],
    [new ApiProblem(401, 'Unauthorized', 'needs a bearer token'), 401, /bearer/],
    [new NotFoundException(), 404, /no such endpoint: GET \/api\/v1\/x/],
    [new TypeError('x is undefined'), 500, /server log/],
  ])('%s -> %i', (error, status, detail) => {
    const sent = answer(error);
    expect(sent.status).toBe(status);
    expect(sent.type).toBe('application/problem+json');
    expect(sent.body).toMatchObject({ status, type: 'about:blank', instance: '/api/v1/x' });
    expect(sent.body!.detail).toMatch(detail);
    // Engine text and SQL never reach the client.
    expect(JSON.stringify(sent.body)).not.toMatch(
      /secret_column|Timeout exceeded|ECONNREFUSED|does not exist|is undefined/,
    );
  });

  it('asks for a bearer token on 401', () => {
    expect(answer(new ApiProblem(401, 'Unauthorized', 'x')).headers['WWW-Authenticate']).toBe(
      'Bearer realm="magicport"',
    );
  });
});
