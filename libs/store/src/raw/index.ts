export * from './raw-tables';
export * from './raw-time';
export * from './raw-row';
export * from './raw-row-json';
export * from './raw-insert';
export * from './json-rows-block';
