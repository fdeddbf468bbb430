/**
 * An HTTP API error as RFC 9457 problem details (`application/problem+json`): `detail` says
 * what was wrong and what to do. Thrown by the API edge only; libs throw their domain errors,
 * which ProblemFilter maps.
 */
export class ApiProblem extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(`${status} ${title}: ${detail}`);
    this.name = 'ApiProblem';
  }
}

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  [extra: string]: unknown;
}

export const badRequest = (detail: string, extra?: Record<string, unknown>) =>
  new ApiProblem(400, 'Bad Request', detail, extra);
export const notFound = (detail: string) => new ApiProblem(404, 'Not Found', detail);
