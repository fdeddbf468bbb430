export * from './migration-files';
export * from './migration-runner';
