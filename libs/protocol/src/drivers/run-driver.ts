import type { DriverRun, Op, PortAccess, Width } from '../types';

/** Whatever answers the driver's accesses: a `GuestSession` fits as it is. */
export interface PortIo {
  /** The value read for `in`; anything (by convention -1) for `out`. */
  access(op: Op, port: number, size: Width, value: number | undefined, timeUs: number): number;
}

export interface DriverClock {
  /** Event time of the first access, in microseconds (default 0). */
  startUs?: number;
  /** Event time added per access, in microseconds (default 1). */
  stepUs?: number;
  /** A run yielding more accesses than this is stopped with an error (default 1,000,000). */
  maxAccesses?: number;
}

export interface TimedAccess extends PortAccess {
  timeUs: number;
  /** What `io` answered: the value read for `in`. */
  response: number;
}

export interface DriverTrace<R> {
  /** What the driver returned. */
  result: R;
  accesses: TimedAccess[];
  /** The time the next access would have had: where a following run or a stop goes. */
  endUs: number;
}

/**
 * Runs a driver against `io`, access by access, on a deterministic clock: access n happens at
 * `startUs + n * stepUs`. `in` accesses resume the driver with the answer, `out` with
 * undefined, as `DriverRun` specifies.
 */
export function runDriver<R>(
  run: DriverRun<R>,
  io: PortIo,
  clock: DriverClock = {},
): DriverTrace<R> {
  const stepUs = clock.stepUs ?? 1;
  const maxAccesses = clock.maxAccesses ?? 1_000_000;
  const accesses: TimedAccess[] = [];
  let timeUs = clock.startUs ?? 0;
  const limit = (): void => {
    if (accesses.length >= maxAccesses)
      throw new Error(`driver run exceeded ${maxAccesses} accesses (last at t=${timeUs} us)`);
  };
  let step = run.next();
  while (!step.done) {
    limit();
    const access = step.value;
    if (access.op === 'outs') {
      // `rep outsb`: one 1-byte write per char, each its own access on the clock.
      for (let i = 0; i < access.text.length; i++) {
        limit();
        const value = access.text.charCodeAt(i) & 0xff;
        const response = io.access('out', access.port, 1, value, timeUs);
        accesses.push({ op: 'out', port: access.port, size: 1, value, timeUs, response });
        timeUs += stepUs;
      }
      step = run.next(undefined);
      continue;
    }
    const { op, port, size, value } = access;
    const response = io.access(op, port, size, value, timeUs);
    accesses.push({ ...access, timeUs, response });
    timeUs += stepUs;
    step = run.next(op === 'in' ? response : undefined);
  }
  return { result: step.value, accesses, endUs: timeUs };
}

/**
 * Runs drivers one after the other as one guest's life, e.g. ROMBIOS POST, a boot, then a
 * resume; returns each run's result in order.
 */
export function* inSequence(...runs: ReadonlyArray<DriverRun<unknown>>): DriverRun<unknown[]> {
  const results: unknown[] = [];
  for (const run of runs) results.push(yield* run);
  return results;
}
