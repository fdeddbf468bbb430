/**
 * libs/protocol hot path, single core: accesses/s of the device model alone and of a whole
 * guest session (device model + handshake tracker + log assembly + rate limiter) over a
 * realistic mix: a full Linux-style handshake with a win-pv-style mask pair, then log lines.
 * Targets: >= 10M/s device model alone, >= 2M/s with tracking and log assembly.
 */
import {
  createDeviceModel,
  createGuestSession,
  PROFILES,
  type Op,
  type ProfileName,
} from '@magicport/protocol';
import { median, rate, type Benchmark, type Measurement } from './harness';

const ACCESSES = 5_000_000;
const ROUNDS = Number(process.env.ROUNDS ?? 5);

interface Mix {
  ops: Op[];
  ports: Uint16Array;
  sizes: Uint8Array;
  values: Uint32Array;
}

/** One boot: handshake (magic, version, product, build, re-check, two masks) and 3 log lines. */
function realisticMix(): Mix {
  const accesses: [Op, number, number, number][] = [
    ['in', 0x10, 2, 0],
    ['in', 0x12, 1, 0],
    ['out', 0x12, 2, 3],
    ['out', 0x10, 4, 1],
    ['in', 0x10, 2, 0],
  ];
  const log = (text: string) => {
    for (const byte of new TextEncoder().encode(`${text}\n`)) accesses.push(['out', 0x12, 1, byte]);
  };
  log('XENFILT|UnplugPreamble: UNPLUG: PRE-AMBLE (DRIVERS NOT BLACKLISTED)');
  log('XENFILT|UnplugDevices: UNPLUG: DISKS');
  accesses.push(['out', 0x10, 2, 9]);
  log('XENFILT|UnplugDevices: UNPLUG: NICS');
  accesses.push(['out', 0x10, 2, 2]);
  return {
    ops: accesses.map((a) => a[0]),
    ports: Uint16Array.from(accesses, (a) => a[1]),
    sizes: Uint8Array.from(accesses, (a) => a[2]),
    values: Uint32Array.from(accesses, (a) => a[3]),
  };
}

function deviceModelRound(profile: ProfileName, mix: Mix): number {
  const dm = createDeviceModel({ profile, blacklist: () => false });
  const n = mix.ops.length;
  let checksum = 0;
  const started = process.hrtime.bigint();
  for (let i = 0; i < ACCESSES; i++) {
    const j = i % n;
    checksum += dm.access(mix.ops[j]!, mix.ports[j]!, mix.sizes[j]!, mix.values[j]);
  }
  const result = rate(ACCESSES, started);
  if (checksum === 0) throw new Error('device model answered nothing');
  return result;
}

function sessionRound(profile: ProfileName, mix: Mix): number {
  let outcomes = 0;
  let lines = 0;
  const session = createGuestSession(
    { profile, blacklist: () => false },
    {
      handshake: () => void outcomes++,
      logLine: () => void lines++,
      logLineDropped: () => void lines++,
    },
  );
  const n = mix.ops.length;
  const started = process.hrtime.bigint();
  for (let i = 0; i < ACCESSES; i++) {
    const j = i % n;
    // 20 µs per access: a boot every ~3.8 ms, well inside the idle gap.
    session.access(mix.ops[j]!, mix.ports[j]!, mix.sizes[j]! as 1 | 2 | 4, mix.values[j], i * 20);
  }
  const result = rate(ACCESSES, started);
  if (outcomes === 0 || lines === 0) throw new Error('session produced no outcomes or lines');
  return result;
}

function measure(name: string, round: () => number, detail: string): Measurement {
  round(); // warm-up: let the JIT settle
  const rates = Array.from({ length: ROUNDS }, round);
  const [min, max] = [Math.min(...rates), Math.max(...rates)];
  return {
    name,
    value: median(rates),
    unit: 'accesses/s',
    detail: `${detail}; ${ACCESSES} accesses x ${ROUNDS} rounds, min-max ${Math.round(min)}-${Math.round(max)}`,
  };
}

const bench: Benchmark = {
  name: 'protocol',
  async run() {
    const mix = realisticMix();
    const detail = `mix of ${mix.ops.length} accesses per boot (7 protocol, rest log bytes)`;
    const measurements: Measurement[] = [];
    for (const profile of PROFILES) {
      measurements.push(
        measure(`device model alone (${profile})`, () => deviceModelRound(profile, mix), detail),
      );
    }
    for (const profile of PROFILES) {
      measurements.push(
        measure(
          `session: device model + tracker + log assembly (${profile})`,
          () => sessionRound(profile, mix),
          detail,
        ),
      );
    }
    return measurements;
  },
};

export default bench;
