export * from './agent';
export * from './blacklist-follower';
export * from './journal';
export * from './recorder';
export * from './shipping';
export * from './simulate';
export * from './stream-recovery';
export * from './tap';
