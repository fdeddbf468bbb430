import type { DriverRun } from '../types';
import { freebsdDriver, openbsdDriver, type FreebsdOptions, type OpenbsdOptions } from './bsd';
import type { DriverReport } from './driver-report';
import { gplpvDriver, type GplpvOptions } from './gplpv';
import { linuxDriver, type LinuxDriverOptions } from './linux';
import { unmodifiedDriver, type UnmodifiedDriversOptions } from './unmodified-drivers';
import { winPvDriver, type WinPvOptions } from './win-pv';

/** A reference driver and its options, as a simulator or a CLI flag names it. */
export type DriverSpec =
  | { driver: 'linux'; options?: LinuxDriverOptions }
  | { driver: 'win-pv'; options?: WinPvOptions }
  | { driver: 'gplpv'; options?: GplpvOptions }
  | { driver: 'freebsd'; options?: FreebsdOptions }
  | { driver: 'openbsd'; options?: OpenbsdOptions }
  | { driver: 'unmodified-drivers'; options?: UnmodifiedDriversOptions };

export type DriverName = DriverSpec['driver'];

export const DRIVER_NAMES: readonly DriverName[] = [
  'linux',
  'win-pv',
  'gplpv',
  'freebsd',
  'openbsd',
  'unmodified-drivers',
];

/** Starts a fresh run of the named reference driver. */
export function createDriver(spec: DriverSpec): DriverRun<DriverReport> {
  switch (spec.driver) {
    case 'linux':
      return linuxDriver(spec.options);
    case 'win-pv':
      return winPvDriver(spec.options);
    case 'gplpv':
      return gplpvDriver(spec.options);
    case 'freebsd':
      return freebsdDriver(spec.options);
    case 'openbsd':
      return openbsdDriver(spec.options);
    case 'unmodified-drivers':
      return unmodifiedDriver(spec.options);
    default:
      return unknownDriver(spec);
  }
}

function unknownDriver(spec: never): never {
  // Reachable from untyped input (JSON, CLI): say what was asked for and what exists.
  const name = (spec as { driver?: unknown }).driver;
  throw new Error(
    `unknown reference driver ${JSON.stringify(name)}; known: ${DRIVER_NAMES.join(', ')}`,
  );
}
