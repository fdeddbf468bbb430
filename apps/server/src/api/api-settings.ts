import type { MagicportConfig } from '@magicport/config';
import { authenticate, bearerToken, parseTokens, type TokenTable } from '@magicport/blacklist';
import type { ApiQueryLimits } from '@magicport/store';
import type { Request } from 'express';
import { ApiProblem } from './api-problem';

/** The API's part of the configuration, parsed once at start (a bad token table fails the start). */
export class ApiSettings {
  readonly tokens: TokenTable;
  readonly readsNeedToken: boolean;
  readonly limits: ApiQueryLimits;

  constructor(config: MagicportConfig['api']) {
    this.tokens = parseTokens(config.blacklistTokens);
    this.readsNeedToken = config.reads === 'token';
    this.limits = {
      maxExecutionTimeSeconds: config.queryTimeoutSeconds,
      maxMemoryUsageBytes: config.queryMaxMemoryBytes,
    };
  }

  /**
   * The actor a request acts as: the name of its bearer token. Writes always need one; reads
   * only when configured. 401 without a token or with one that is not configured.
   */
  authorize(request: Request, kind: 'read' | 'write'): string | null {
    if (kind === 'read' && !this.readsNeedToken) return null;
    const header = request.headers.authorization;
    const token = bearerToken(typeof header === 'string' ? header : null);
    const what =
      kind === 'write' ? 'changing the blacklist' : 'reading (MAGICPORT_API_READS=token)';
    if (token === null) {
      throw new ApiProblem(
        401,
        'Unauthorized',
        `${what} needs a bearer token: send Authorization: Bearer <token> (tokens are configured in MAGICPORT_BLACKLIST_TOKENS)`,
      );
    }
    const actor = authenticate(this.tokens, token);
    if (actor === null)
      throw new ApiProblem(
        401,
        'Unauthorized',
        'the bearer token is not one this server knows; nothing was changed',
      );
    return actor;
  }
}
