export * from './dm-log-line';
export * from './file-follower';
export * from './format-detect';
export * from './run-tap';
export * from './tap-options';
export * from './tap-report';
export * from './trace-line';
export * from './stdin-reader';
export { checkTimeZone } from './wall-clock';
