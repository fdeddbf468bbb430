import {
  Injectable,
  Module,
  type BeforeApplicationShutdown,
  type DynamicModule,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { ServerRuntime } from '../server-runtime';

/** Starts the ingest with the application and drains it (commits what is stored) on shutdown. */
@Injectable()
export class IngestLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(private readonly runtime: ServerRuntime) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.runtime.ingest.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.runtime.ingest.stop();
  }
}

@Module({})
export class IngestModule {
  static register(runtime: ServerRuntime): DynamicModule {
    return {
      module: IngestModule,
      providers: [{ provide: ServerRuntime, useValue: runtime }, IngestLifecycle],
    };
  }
}
