export * from './store-config';
export * from './store-errors';
export * from './transient-retry';
export * from './insert-target';
export * from './clickhouse-store';
export { PINNED_SETTINGS } from './clickhouse-connection';
export * from './open-store';
export * from './raw';
export * from './migrations';
