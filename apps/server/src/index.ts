export * from './server';
export * from './server-runtime';
export * from './ingest/ingest';
export * from './ingest/partition-ranges';
export * from './ingest/record-routing';
export * from './metrics/ingest-metrics';
export * from './logging/logger';
export * from './ingest/replay-from-kafka';
