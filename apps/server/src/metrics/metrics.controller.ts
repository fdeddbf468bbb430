import { Controller, Get, Header } from '@nestjs/common';
import { ServerRuntime } from '../server-runtime';

@Controller()
export class MetricsController {
  constructor(private readonly runtime: ServerRuntime) {}

  /** Prometheus text exposition format. */
  @Get('metrics')
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  async metrics(): Promise<string> {
    return this.runtime.metrics.registry.metrics();
  }
}
