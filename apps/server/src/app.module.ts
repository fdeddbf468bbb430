import { Module, type DynamicModule } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { HealthController } from './health/health.controller';
import { IngestModule } from './ingest/ingest.module';
import { MetricsController } from './metrics/metrics.controller';
import { ServerRuntime } from './server-runtime';

@Module({})
export class AppModule {
  static register(runtime: ServerRuntime): DynamicModule {
    return {
      module: AppModule,
      imports: [TerminusModule.forRoot({ logger: false }), IngestModule.register(runtime)],
      controllers: [HealthController, MetricsController],
      providers: [{ provide: ServerRuntime, useValue: runtime }],
    };
  }
}
