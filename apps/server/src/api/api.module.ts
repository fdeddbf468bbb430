import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import type { MagicportConfig } from '@magicport/config';
import type { Logger } from 'pino';
import { ServerRuntime } from '../server-runtime';
import { ApiContext } from './api-context';
import { ApiSettings } from './api-settings';
import { BlacklistController } from './blacklist/blacklist.controller';
import { BlacklistService } from './blacklist/blacklist.service';
import { DocsController } from './docs/docs.controller';
import { FleetController } from './fleet/fleet.controller';
import { GuestsController } from './guests/guests.controller';
import { ProblemFilter } from './problem.filter';

/**
 * REST under /api/v1 (fleet, blacklist, guests, logs) and its OpenAPI document under /docs.
 * Every error of the application leaves through ProblemFilter as application/problem+json.
 */
@Module({})
export class ApiModule {
  static register(
    runtime: ServerRuntime,
    config: MagicportConfig['api'],
    log: Logger,
  ): DynamicModule {
    const settings = new ApiSettings(config);
    const blacklist = new BlacklistService(runtime.bus, (line) =>
      log.warn({ component: 'blacklist' }, line),
    );
    return {
      module: ApiModule,
      controllers: [FleetController, BlacklistController, GuestsController, DocsController],
      providers: [
        { provide: ApiContext, useValue: new ApiContext(runtime.store, settings, blacklist) },
        { provide: APP_FILTER, useValue: new ProblemFilter(log.child({ component: 'api' })) },
      ],
    };
  }
}
