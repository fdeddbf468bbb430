export * from './types';
export * from './framed-records';
export * from './topics';
export * from './in-process-bus';
export * from './kafka-bus';
export * from './record-pack';
export * from './worker-bus';
