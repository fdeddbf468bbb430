import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { ServerRuntime } from '../server-runtime';

/**
 * Liveness: the process answers. Readiness: the bus has assigned this server its partitions,
 * ClickHouse answers, and the schema is the one this code migrates to.
 */
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly runtime: ServerRuntime,
  ) {}

  @Get('live')
  @HealthCheck()
  live() {
    return this.health.check([() => this.indicators.check('process').up({ pid: process.pid })]);
  }

  @Get('ready')
  @HealthCheck()
  ready() {
    return this.health.check([() => this.bus(), () => this.clickhouse(), () => this.migrations()]);
  }

  private bus() {
    const bus = this.indicators.check('kafka');
    const { ingest } = this.runtime;
    const assignment = ingest.assignment();
    if (!ingest.joined)
      return bus.down({
        kind: this.runtime.bus.kind,
        message: 'no partitions assigned yet',
        assignment,
      });
    return bus.up({ kind: this.runtime.bus.kind, assignment });
  }

  private async clickhouse() {
    const ch = this.indicators.check('clickhouse');
    try {
      await this.runtime.store.ping();
      return ch.up({ target: this.runtime.store.target });
    } catch (error) {
      return ch.down({ target: this.runtime.store.target, message: message(error) });
    }
  }

  private async migrations() {
    const schema = this.indicators.check('migrations');
    try {
      const status = await this.runtime.schemaStatus();
      const details = { pending: status.pending, unknown: status.unknown, changed: status.changed };
      return status.current ? schema.up(details) : schema.down(details);
    } catch (error) {
      return schema.down({ message: message(error) });
    }
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
