export * from './shipper';
