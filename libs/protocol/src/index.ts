export * from './constants';
export * from './types';
