export * from './closed-stdout';
export * from './colour';
export * from './escape-text';
export * from './system-error-words';
export * from './describe-error';
