export * from './store-config';
export * from './store-errors';
export * from './transient-retry';
export * from './insert-target';
export * from './clickhouse-store';
export * from './pre-encoded-rows';
export { PINNED_SETTINGS } from './clickhouse-connection';
export * from './open-store';
export * from './raw';
export * from './migrations';
export * from './reports/api';
export * from './views';
// A namespace, `reports.fleetBuilds(…)`: the API's own queries (src/reports/api) export
// functions of the same names at the top level.
export * as reports from './reports';
