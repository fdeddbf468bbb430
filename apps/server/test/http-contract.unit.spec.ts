import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { INestApplication } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Bus } from '@magicport/bus';
import type { ClickHouseStore, MigrationStatus } from '@magicport/store';
import { AppModule } from '../src/app.module';
import type { Ingest } from '../src/ingest/ingest';
import { IngestMetrics } from '../src/metrics/ingest-metrics';
import { ServerRuntime } from '../src/server-runtime';

/** The HTTP contract of /health and /metrics, over stand-ins for the ports they read. */
const state = {
  joined: true,
  pingError: null as Error | null,
  status: { current: true, pending: [], unknown: [], changed: [] } as MigrationStatus,
};
const store = {
  target: 'embedded chDB at /x (database magicport)',
  ping: async () => {
    if (state.pingError) throw state.pingError;
  },
} as unknown as ClickHouseStore;
const ingest = {
  start: async () => undefined,
  stop: async () => undefined,
  get joined() {
    return state.joined;
  },
  assignment: () => ({ 'magicport.events.v1': [0, 1] }),
} as unknown as Ingest;
const metrics = new IngestMetrics();
const runtime = new ServerRuntime(
  store,
  { kind: 'kafka' } as Bus,
  ingest,
  metrics,
  async () => state.status,
);

let app: INestApplication;
let base: string;
beforeAll(async () => {
  app = await NestFactory.create(AppModule.register(runtime), { logger: false });
  await app.listen(0, '127.0.0.1');
  base = await app.getUrl();
});
afterAll(async () => app?.close());

const get = async (path: string) => {
  const res = await fetch(`${base}${path}`);
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type'), text };
};

describe('/health', () => {
  it('live answers 200 while the process runs', async () => {
    const res = await get('/health/live');
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toMatchObject({
      status: 'ok',
      info: { process: { status: 'up' } },
    });
  });

  it('ready is 200 with Kafka assigned, ClickHouse answering and the schema current', async () => {
    const res = await get('/health/ready');
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text).info).toEqual({
      kafka: { status: 'up', kind: 'kafka', assignment: { 'magicport.events.v1': [0, 1] } },
      clickhouse: { status: 'up', target: 'embedded chDB at /x (database magicport)' },
      migrations: { status: 'up', pending: [], unknown: [], changed: [] },
    });
  });

  it('ready is 503 naming each failing check', async () => {
    state.joined = false;
    state.pingError = new Error('connect ECONNREFUSED');
    state.status = { current: false, pending: ['0003_ingest_state.sql'], unknown: [], changed: [] };
    try {
      const res = await get('/health/ready');
      expect(res.status).toBe(503);
      const body = JSON.parse(res.text);
      expect(body.status).toBe('error');
      expect(body.error).toEqual({
        kafka: {
          status: 'down',
          kind: 'kafka',
          message: 'no partitions assigned yet',
          assignment: { 'magicport.events.v1': [0, 1] },
        },
        clickhouse: {
          status: 'down',
          target: 'embedded chDB at /x (database magicport)',
          message: 'connect ECONNREFUSED',
        },
        migrations: {
          status: 'down',
          pending: ['0003_ingest_state.sql'],
          unknown: [],
          changed: [],
        },
      });
    } finally {
      state.joined = true;
      state.pingError = null;
      state.status = { current: true, pending: [], unknown: [], changed: [] };
    }
  });
});

describe('/metrics', () => {
  it('is the Prometheus text format with the ingest metrics', async () => {
    metrics.ingested('port.access', 3);
    metrics.deadLettered('malformed-json', 2);
    metrics.lag('magicport.events.v1', 4, 17);
    const res = await get('/metrics');
    expect(res.status).toBe(200);
    expect(res.type).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(res.text).toContain('magicport_ingest_events_total{type="port.access"} 3');
    expect(res.text).toContain('magicport_ingest_dlq_records_total{reason="malformed-json"} 2');
    expect(res.text).toContain(
      'magicport_ingest_consumer_lag{topic="magicport.events.v1",partition="4"} 17',
    );
    expect(res.text).toContain('# TYPE magicport_ingest_insert_seconds histogram');
    expect(res.text).toContain('# TYPE magicport_ingest_range_rows histogram');
    expect(res.text).toContain('# TYPE magicport_ingest_retries_total counter');
  });
});
