/**
 * The CLI's HTTP client for the magicport server's /api/v1: one request per call, problem+json
 * errors turned into ApiCallError with an exit code and a message that says what to do.
 */

/** Exit codes of the query commands (documented in the CLI help and README). */
export const EXIT = {
  ok: 0,
  badRequest: 1,
  notFound: 3,
  unauthorized: 4,
  conflict: 5,
  unavailable: 69,
  serverError: 70,
} as const;

export class ApiCallError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = 'ApiCallError';
  }
}

export interface ClientOptions {
  server?: string;
  token?: string;
}

/** `--server`, else $MAGICPORT_SERVER, else the local server of `magicport serve` with this environment. */
export function serverUrl(flag: string | undefined, env = process.env): string {
  const raw =
    flag ??
    env.MAGICPORT_SERVER ??
    `http://${env.MAGICPORT_HTTP_HOST || '127.0.0.1'}:${env.MAGICPORT_HTTP_PORT || '8080'}`;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ApiCallError(
      `--server must be a URL like http://127.0.0.1:8080, got ${JSON.stringify(raw)}`,
      EXIT.badRequest,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ApiCallError(
      `--server must be an http(s) URL, got ${JSON.stringify(raw)}`,
      EXIT.badRequest,
    );
  }
  return url.origin + url.pathname.replace(/\/$/, '');
}

export class ApiClient {
  readonly base: string;
  private readonly token: string | undefined;

  constructor(options: ClientOptions) {
    this.base = serverUrl(options.server);
    this.token = options.token ?? process.env.MAGICPORT_TOKEN;
  }

  get<T>(
    path: string,
    query: Record<string, string | number | boolean | undefined> = {},
  ): Promise<T> {
    return this.call<T>('GET', path, query);
  }

  getText(
    path: string,
    query: Record<string, string | number | boolean | undefined> = {},
  ): Promise<string> {
    return this.call<string>('GET', path, query, undefined, true);
  }

  post<T>(path: string, body: unknown): Promise<T> {
    return this.call<T>('POST', path, {}, body);
  }

  delete<T>(path: string, query: Record<string, string | number | undefined>): Promise<T> {
    return this.call<T>('DELETE', path, query);
  }

  /** Every page of a cursor-paginated list, up to `max` items. */
  async all<T>(
    path: string,
    query: Record<string, string | number | undefined>,
    max: number,
  ): Promise<T[]> {
    const items: T[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.get<{ items: T[]; nextCursor: string | null }>(path, {
        ...query,
        limit: Math.min(1000, max - items.length),
        cursor,
      });
      items.push(...page.items);
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined && items.length < max);
    return items;
  }

  private async call<T>(
    method: string,
    path: string,
    query: Record<string, string | number | boolean | undefined>,
    body?: unknown,
    text = false,
  ): Promise<T> {
    const url = new URL(`${this.base}/api/v1${path}`);
    for (const [k, v] of Object.entries(query))
      if (v !== undefined) url.searchParams.set(k, String(v));
    const headers: Record<string, string> = { accept: text ? 'text/plain' : 'application/json' };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      const cause =
        (err as { cause?: { code?: string } }).cause?.code ??
        (err instanceof Error ? err.message : String(err));
      throw new ApiCallError(
        `no magicport server answers at ${this.base} (${cause}): start one with \`magicport serve\` (or \`magicport up\`), or point --server / MAGICPORT_SERVER at a running one`,
        EXIT.unavailable,
      );
    }
    if (response.ok) return (text ? await response.text() : await response.json()) as T;
    throw await problemError(response, this.token !== undefined);
  }
}

async function problemError(response: Response, hadToken: boolean): Promise<ApiCallError> {
  let detail = `${response.status} ${response.statusText}`;
  try {
    const problem = (await response.json()) as { detail?: string };
    if (typeof problem.detail === 'string') detail = problem.detail;
  } catch {
    // not problem+json: keep the status line
  }
  const status = response.status;
  if (status === 401 || status === 403) {
    const hint = hadToken ? 'check the token' : 'pass --token or set MAGICPORT_TOKEN';
    return new ApiCallError(`${detail} (${hint})`, EXIT.unauthorized);
  }
  if (status === 404) return new ApiCallError(detail, EXIT.notFound);
  if (status === 409) return new ApiCallError(detail, EXIT.conflict);
  if (status === 503 || status === 504)
    return new ApiCallError(`server busy or a dependency is down: ${detail}`, EXIT.unavailable);
  if (status >= 500) return new ApiCallError(`server error: ${detail}`, EXIT.serverError);
  return new ApiCallError(detail, EXIT.badRequest);
}
