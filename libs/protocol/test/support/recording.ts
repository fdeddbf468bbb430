import {
  collectSession,
  type GuestSessionOptions,
  type Op,
  type RecordedAccess,
  type SessionHandshake,
  type Width,
} from '@magicport/protocol';

export interface GuestAccess {
  op: Op;
  port: number;
  size: Width;
  value?: number;
  t: number;
}

/** Runs accesses through a session and records them as a recorder would: with responses. */
export function record(
  options: GuestSessionOptions,
  accesses: readonly GuestAccess[],
): { accesses: RecordedAccess[]; outcomes: SessionHandshake[] } {
  const { session, handshakes } = collectSession(options);
  let last = 0;
  const recorded = accesses.map((a): RecordedAccess => {
    const response = session.access(a.op, a.port, a.size, a.value, a.t);
    last = Math.max(last, a.t);
    return a.op === 'in' ? { ...a, response } : { ...a };
  });
  session.stop(last);
  return { accesses: recorded, outcomes: handshakes };
}

/** Accesses at 1 µs steps from `t0`. */
export function timed(t0: number, accesses: readonly Omit<GuestAccess, 't'>[]): GuestAccess[] {
  return accesses.map((a, i) => ({ ...a, t: t0 + i }));
}

export const linuxBoot = (mask: number): Omit<GuestAccess, 't'>[] => [
  { op: 'in', port: 0x10, size: 2 },
  { op: 'in', port: 0x12, size: 1 },
  { op: 'out', port: 0x12, size: 2, value: 3 },
  { op: 'out', port: 0x10, size: 4, value: 1 },
  { op: 'in', port: 0x10, size: 2 },
  { op: 'out', port: 0x10, size: 2, value: mask },
];

/** Several boots on one device-model instance, reset between them as the recorder does at reboot. */
export function recordBoots(
  options: GuestSessionOptions,
  boots: readonly (readonly GuestAccess[])[],
): { accesses: RecordedAccess[]; outcomes: SessionHandshake[]; resetUs: number }[] {
  const { session, handshakes } = collectSession(options);
  return boots.map((accesses) => {
    const first = handshakes.length;
    let last = 0;
    const recorded = accesses.map((a): RecordedAccess => {
      const response = session.access(a.op, a.port, a.size, a.value, a.t);
      last = Math.max(last, a.t);
      return a.op === 'in' ? { ...a, response } : { ...a };
    });
    session.stop(last);
    return { accesses: recorded, outcomes: handshakes.slice(first), resetUs: last };
  });
}
