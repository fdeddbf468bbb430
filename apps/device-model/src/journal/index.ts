export * from './frame';
export * from './journal';
