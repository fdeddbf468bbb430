export * from './fleet';
export * from './manifest';
export * from './population';
export { Rng } from './rng';
export * from './default-blacklist';
