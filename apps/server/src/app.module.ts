import { Module, type DynamicModule } from '@nestjs/common';
import type { MagicportConfig } from '@magicport/config';
import type { Logger } from 'pino';
import { ApiModule } from './api/api.module';
import { TerminusModule } from '@nestjs/terminus';
import { DashboardController } from './dashboard/dashboard.controller';
import { HealthController } from './health/health.controller';
import { IngestModule } from './ingest/ingest.module';
import { MetricsController } from './metrics/metrics.controller';
import { ServerRuntime } from './server-runtime';

@Module({})
export class AppModule {
  /** Without `api`, only health, metrics and the ingest (tests of those parts). */
  static register(
    runtime: ServerRuntime,
    api?: { config: MagicportConfig['api']; log: Logger },
  ): DynamicModule {
    return {
      module: AppModule,
      imports: [
        TerminusModule.forRoot({ logger: false }),
        IngestModule.register(runtime),
        ...(api ? [ApiModule.register(runtime, api.config, api.log)] : []),
      ],
      controllers: [HealthController, MetricsController, ...(api ? [DashboardController] : [])],
      providers: [{ provide: ServerRuntime, useValue: runtime }],
    };
  }
}
