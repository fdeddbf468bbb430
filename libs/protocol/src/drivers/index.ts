// port-io and report() stay internal: drivers are the public surface.
export * from './bsd';
export * from './catalog';
export type { DriverReport, DriverVerdict } from './driver-report';
export * from './gplpv';
export * from './linux';
export * from './rombios';
export * from './run-driver';
export * from './unmodified-drivers';
export * from './win-pv';
export * from './xen-emul-unplug';
