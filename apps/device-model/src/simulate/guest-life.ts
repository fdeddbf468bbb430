import {
  createDriver,
  PORT_PROTOCOL,
  rombiosPost,
  type DriverRun,
  type DriverSpec,
  type Width,
} from '@magicport/protocol';
import type { DeviceModelRecorder } from '../recorder';
import type { GuestPlan } from './population';
import type { Rng } from './rng';

/** Event time between two accesses of one driver run. */
const ACCESS_STEP_US = 2;
const POST_TO_DRIVER_US = 1_800_000;
/** A local copy: a re-exported binding is a getter in the compiled CommonJS (per-access cost). */
const LOG_PORT = PORT_PROTOCOL;

/**
 * Drives one run through the recorder on the guest's clock; returns the time after it.
 * `product` makes it a vendor build of the same driver: its 2-byte product write to 0x12
 * announces that number instead.
 */
export function drive(
  run: DriverRun<unknown>,
  dm: DeviceModelRecorder,
  startUs: number,
  product: number | null = null,
): number {
  let t = startUs;
  let step = run.next();
  while (!step.done) {
    if (step.value.op === 'outs') {
      // A log line's `rep outsb`: one call for the run of 1-byte accesses (as `access` per byte).
      const { port, text } = step.value;
      if (port === LOG_PORT) t = dm.writeLog(text, t, ACCESS_STEP_US);
      else
        for (let i = 0; i < text.length; i++, t += ACCESS_STEP_US)
          dm.access('out', port, 1, text.charCodeAt(i) & 0xff, t);
      step = run.next(undefined);
      continue;
    }
    const { op, port, size, value } = step.value;
    const sent =
      product !== null && op === 'out' && port === LOG_PORT && size === 2 ? product : value;
    const response = dm.access(op, port, size, sent, t);
    t += ACCESS_STEP_US;
    step = run.next(op === 'in' ? response : undefined);
  }
  return t;
}

function driverRun(plan: GuestPlan, phase: 'boot' | 'resume'): DriverRun<unknown> {
  const spec = plan.driver!;
  const phased: DriverSpec =
    spec.driver === 'win-pv' || spec.driver === 'gplpv'
      ? ({ ...spec, options: { ...spec.options, phase } } as DriverSpec)
      : spec;
  return createDriver(phased);
}

/** A guest that breaks the protocol: random accesses to any port, width and value. */
function* protocolBreaker(rng: Rng): DriverRun<void> {
  const widths: Width[] = [1, 2, 4];
  const count = rng.int(5, 40);
  for (let i = 0; i < count; i++) {
    const size = rng.pick(widths);
    const port = rng.int(0x10, 0x1f);
    if (rng.chance(0.5)) yield { op: 'in', port, size };
    else
      yield {
        op: 'out',
        port,
        size,
        value: rng.int(0, size === 4 ? 0xffffffff : size === 2 ? 0xffff : 0xff),
      };
  }
}

/**
 * A burst of log lines, enough to drain qemu-traditional's 128 KiB bucket: one 1-byte `out 0x12`
 * per byte, as `drive` would issue them from a driver, written a line at a time because a flood
 * is most of a fleet's accesses and a call per byte would cost more than the access.
 */
function logFlood(rng: Rng, dm: DeviceModelRecorder, startUs: number): number {
  let t = startUs;
  const lines = rng.int(600, 1200);
  for (let n = 0; n < lines; n++) {
    const text = `XEN|FloodTest: line ${n} ${FILL.slice(0, rng.int(100, 250))}\n`;
    t = dm.writeLog(text, t, ACCESS_STEP_US);
  }
  return t;
}

/** A flood line's filler, cut to length (a slice shares this string's characters). */
const FILL = 'x'.repeat(250);

/**
 * One boot of a guest: firmware POST, its driver, sometimes a log flood, and sometimes a
 * resume/migration that repeats the handshake. Returns the time the boot's activity ended.
 */
export function simulateBoot(
  plan: GuestPlan,
  dm: DeviceModelRecorder,
  rng: Rng,
  startUs: number,
): number {
  let t = drive(rombiosPost(), dm, startUs);
  t += POST_TO_DRIVER_US;
  if (plan.driver === null) return drive(protocolBreaker(rng), dm, t);
  t = drive(driverRun(plan, 'boot'), dm, t, plan.productOverride);
  if (plan.logFlood) t = logFlood(rng, dm, t + 5_000_000);
  if (rng.chance(plan.resumeChance)) {
    t += rng.int(60, 7200) * 1_000_000;
    dm.advance(t);
    t = drive(driverRun(plan, 'resume'), dm, t, plan.productOverride);
  }
  return t;
}
