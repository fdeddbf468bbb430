import { Catch, HttpException, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import {
  BlacklistCommandError,
  BlacklistWriteConflictError,
  TokenConfigError,
} from '@magicport/blacklist';
import { StoreError } from '@magicport/store';
import { ApiProblem, type ProblemBody } from './api-problem';

const COMMAND_STATUS: Record<string, number> = {
  'unknown-product': 400,
  'invalid-build': 400,
  'invalid-reason': 400,
  'invalid-actor': 400,
  'already-listed': 409,
  'not-listed': 409,
};

/**
 * The one place where errors become HTTP answers, every one `application/problem+json`.
 * ClickHouse's own error text never reaches a client: a query over its time or memory limit is
 * a 504 or 503 saying so, anything unexpected a 500 that only says where to look (the log).
 */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  constructor(private readonly log: Logger) {}

  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<Request>();
    const response = http.getResponse<Response>();
    const problem = this.problemOf(error, request);
    if (problem.status >= 500) {
      this.log.error(
        { err: error, method: request.method, url: request.originalUrl },
        problem.detail,
      );
    }
    if (response.headersSent) return;
    if (problem.status === 401) response.setHeader('WWW-Authenticate', 'Bearer realm="magicport"');
    response
      .status(problem.status)
      .type('application/problem+json')
      .send(JSON.stringify({ ...problem, instance: request.originalUrl.slice(0, 2048) }));
  }

  private problemOf(error: unknown, request: Request): ProblemBody {
    const body = (status: number, title: string, detail: string, extra = {}): ProblemBody => ({
      type: 'about:blank',
      title,
      status,
      detail,
      ...extra,
    });
    if (error instanceof ApiProblem)
      return body(error.status, error.title, error.detail, error.extra);
    if (error instanceof BlacklistCommandError) {
      const status = COMMAND_STATUS[error.code] ?? 400;
      return body(status, status === 409 ? 'Conflict' : 'Bad Request', error.message, {
        code: error.code,
      });
    }
    if (error instanceof BlacklistWriteConflictError)
      return body(409, 'Conflict', error.message, { code: error.code });
    if (error instanceof TokenConfigError)
      return body(500, 'Internal Server Error', 'the server has a bad token configuration');
    // By name too: the store's module may be loaded twice (built output and sources under test).
    if (error instanceof StoreError || (error instanceof Error && error.name === 'StoreError')) {
      return storeProblem(error as StoreError, body);
    }
    // Duck-typed: the platform adapter may load its own copy of @nestjs/common (ESM and CJS).
    if (error instanceof HttpException || isHttpException(error)) {
      const status = error.getStatus();
      const detail =
        status === 404
          ? `no such endpoint: ${request.method} ${request.path.slice(0, 200)} (see /docs)`
          : httpDetail(error);
      return body(status, statusTitle(status), detail);
    }
    return body(
      500,
      'Internal Server Error',
      'unexpected server error; the server log has the details',
    );
  }
}

type BodyFn = (status: number, title: string, detail: string, extra?: object) => ProblemBody;

function storeProblem(error: StoreError, body: BodyFn): ProblemBody {
  // chDB does not always name the type; its message does.
  if (/cannot compile re2|CANNOT_COMPILE_REGEXP/i.test(error.message)) {
    return body(
      400,
      'Bad Request',
      'grep: not a valid RE2 regular expression (https://github.com/google/re2/wiki/Syntax)',
      { parameter: 'grep' },
    );
  }
  if (
    /TIMEOUT_EXCEEDED|Timeout exceeded/i.test(error.message) &&
    error.clickhouseType === undefined
  ) {
    return body(
      504,
      'Gateway Timeout',
      'the query ran past its time limit (MAGICPORT_QUERY_TIMEOUT_S): narrow the time range or add filters',
    );
  }
  if (
    /MEMORY_LIMIT_EXCEEDED|Memory limit .*exceeded/i.test(error.message) &&
    error.clickhouseType === undefined
  ) {
    return body(
      503,
      'Service Unavailable',
      'the query needed more memory than its limit (MAGICPORT_QUERY_MAX_MEMORY_MB): narrow the time range or add filters',
    );
  }
  switch (error.clickhouseType) {
    case 'TIMEOUT_EXCEEDED':
      return body(
        504,
        'Gateway Timeout',
        'the query ran past its time limit (MAGICPORT_QUERY_TIMEOUT_S): narrow the time range or add filters',
      );
    case 'MEMORY_LIMIT_EXCEEDED':
      return body(
        503,
        'Service Unavailable',
        'the query needed more memory than its limit (MAGICPORT_QUERY_MAX_MEMORY_MB): narrow the time range or add filters',
      );
    case 'TOO_MANY_SIMULTANEOUS_QUERIES':
      return body(
        503,
        'Service Unavailable',
        'ClickHouse is busy with other queries: try again shortly',
      );
    case 'CANNOT_COMPILE_REGEXP':
      return body(400, 'Bad Request', 'grep: not a valid RE2 regular expression', {
        parameter: 'grep',
      });
  }
  if (error.kind !== 'permanent') {
    return body(
      503,
      'Service Unavailable',
      'ClickHouse is not answering: try again shortly (see /health/ready)',
    );
  }
  return body(500, 'Internal Server Error', 'the query failed; the server log has the details');
}

function isHttpException(error: unknown): error is HttpException {
  return (
    error instanceof Error &&
    typeof (error as Partial<HttpException>).getStatus === 'function' &&
    typeof (error as Partial<HttpException>).getResponse === 'function'
  );
}

function httpDetail(error: HttpException): string {
  const response = error.getResponse();
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown }).message;
  if (Array.isArray(message)) return message.join('; ');
  return typeof message === 'string' ? message : error.message;
}

function statusTitle(status: number): string {
  const titles: Record<number, string> = {
    400: 'Bad Request',
    401: 'Unauthorized',
    403: 'Forbidden',
    404: 'Not Found',
    405: 'Method Not Allowed',
    413: 'Content Too Large',
    415: 'Unsupported Media Type',
  };
  return titles[status] ?? (status >= 500 ? 'Internal Server Error' : 'Error');
}
