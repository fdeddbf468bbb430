export * from './commands';
export * from './view';
