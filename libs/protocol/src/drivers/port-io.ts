import type { PortAccess, PortStringWrite, Width } from '../types';

/**
 * The port instructions a driver performs, as `yield*`-able steps of a `DriverRun`.
 * Each read returns the value the runner resumed the generator with, masked to the access
 * width; a runner that resumes a read with `undefined` gets all-ones, what an unclaimed
 * port returns on real hardware (floating bus).
 */
export type PortStep<R> = Generator<PortAccess, R, number | undefined>;

const WIDTH_MASK: Record<Width, number> = { 1: 0xff, 2: 0xffff, 4: 0xffffffff };

function* read(port: number, size: Width): PortStep<number> {
  const value = yield { op: 'in', port, size };
  return (value ?? WIDTH_MASK[size]) & WIDTH_MASK[size];
}

function* write(port: number, size: Width, value: number): PortStep<void> {
  // `>>> 0` keeps 4-byte values unsigned: a build number never turns negative on the wire.
  yield { op: 'out', port, size, value: (value & WIDTH_MASK[size]) >>> 0 };
}

export const inb = (port: number): PortStep<number> => read(port, 1);
export const inw = (port: number): PortStep<number> => read(port, 2);
export const inl = (port: number): PortStep<number> => read(port, 4);
export const outb = (port: number, value: number): PortStep<void> => write(port, 1, value);
export const outw = (port: number, value: number): PortStep<void> => write(port, 2, value);
export const outl = (port: number, value: number): PortStep<void> => write(port, 4, value);

/**
 * One 1-byte write per byte of `text` (chars are taken as Latin-1 bytes, as the Windows
 * drivers' CHAR strings are), yielded as one `outs` step. `rep outsb` and a byte loop look the
 * same on the wire: under Xen each byte of a string PIO reaches the device model as its own
 * access, and runners expand the step so (`runDriver`).
 */
export function* outString(
  port: number,
  text: string,
): Generator<PortStringWrite, void, number | undefined> {
  if (text.length > 0) yield { op: 'outs', port, text };
}
