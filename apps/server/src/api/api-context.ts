import type { ClickHouseStore } from '@magicport/store';
import type { Request } from 'express';
import type { ApiRoute } from './api-route';
import { parseInput } from './api-params';
import type { ApiSettings } from './api-settings';
import type { BlacklistService } from './blacklist/blacklist.service';
import type { Static, TObject } from '@sinclair/typebox';

/** What every API controller works with, injected as one value. */
export class ApiContext {
  constructor(
    readonly store: ClickHouseStore,
    readonly settings: ApiSettings,
    readonly blacklist: BlacklistService,
  ) {}

  get limits() {
    return this.settings.limits;
  }

  /** Authorizes the request for `route` and returns its checked query and the actor (writes). */
  accept<R extends ApiRoute & { query: TObject }>(
    route: R,
    request: Request,
  ): { query: Static<R['query']>; actor: string | null } {
    const actor = this.settings.authorize(request, route.auth);
    return { query: parseInput(route.query, request.query, 'query'), actor };
  }
}
