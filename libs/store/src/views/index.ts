export * from './view-catalog';
export * from './view-rebuild';
export * from './view-check';
