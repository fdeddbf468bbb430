import type { LoggerService } from '@nestjs/common';
import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';
import type { MagicportConfig } from '@magicport/config';

/** One JSON line per event worth logging; pretty lines when a person watches a terminal. */
export function createLogger(config: MagicportConfig['log'], name = 'magicport'): Logger {
  const options = { name, level: config.level };
  return config.pretty
    ? pino(options, pretty({ colorize: true, sync: true, destination: 2 }))
    : pino(options, pino.destination({ fd: 2, sync: true }));
}

/** NestJS's own messages (routes, lifecycle) through the same logger. */
export class NestPinoLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}
  log(message: unknown, context?: string): void {
    this.logger.debug({ context }, String(message));
  }
  error(message: unknown, trace?: string, context?: string): void {
    this.logger.error({ context, trace }, String(message));
  }
  warn(message: unknown, context?: string): void {
    this.logger.warn({ context }, String(message));
  }
  debug(message: unknown, context?: string): void {
    this.logger.debug({ context }, String(message));
  }
  verbose(message: unknown, context?: string): void {
    this.logger.trace({ context }, String(message));
  }
}
