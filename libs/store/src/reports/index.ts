export * from './api-query';
export * from './fleet-reports';
export * from './guest-reports';
export * from './blacklist-hit-reports';
export * from './replay-reports';
export * from './log-reports';
