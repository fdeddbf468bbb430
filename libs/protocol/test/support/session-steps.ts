import type { Op, Width } from '@magicport/protocol';

/** One thing that happens to a guest session: an access, a stop/reset, or time passing. */
export type Step =
  | { kind: 'access'; op: Op; port: number; size: Width; value?: number; t?: number }
  | { kind: 'stop'; t?: number }
  | { kind: 'advance'; t: number };

export type Steps = Step | readonly Steps[];

export const read = (port: number, size: Width): Step => ({ kind: 'access', op: 'in', port, size });
export const write = (port: number, size: Width, value: number): Step => ({
  kind: 'access',
  op: 'out',
  port,
  size,
  value,
});

export const magicRead = (): Step => read(0x10, 2);
export const versionRead = (): Step => read(0x12, 1);
export const productWrite = (product: number): Step => write(0x12, 2, product);
export const buildWrite = (build: number): Step => write(0x10, 4, build);
export const maskWrite = (mask: number): Step => write(0x10, 2, mask);
export const flagsRead = (): Step => read(0x10, 1);
export const flagsWrite = (flags: number): Step => write(0x10, 1, flags);
export const stop = (): Step => ({ kind: 'stop' });
export const advanceTo = (t: number): Step => ({ kind: 'advance', t });

/** The same step at event time `t` (microseconds); later steps continue from there. */
export function at(t: number, step: Step): Step {
  return step.kind === 'advance' ? step : { ...step, t };
}

/** Log bytes, one 1-byte write to 0x12 per byte, as drivers send them. */
export function logBytes(bytes: string | readonly number[]): Step[] {
  const values = typeof bytes === 'string' ? [...new TextEncoder().encode(bytes)] : bytes;
  return values.map((byte) => write(0x12, 1, byte));
}

/** The spec's full handshake for a product/build, without the mask write. */
export function preamble(product: number, build: number): Step[] {
  return [magicRead(), versionRead(), productWrite(product), buildWrite(build), magicRead()];
}

export function flatten(steps: readonly Steps[]): Step[] {
  return steps.flatMap((s) => (Array.isArray(s) ? flatten(s as readonly Steps[]) : [s as Step]));
}
