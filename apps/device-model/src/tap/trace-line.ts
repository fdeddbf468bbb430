import { EVENT_TIME_END_MICROS } from '@magicport/events';

/**
 * One line of a QEMU trace log (the `log` trace backend) as magicport reads it.
 *
 * Event lines are `<event name> <formatted args>`, behind a prefix that changed with QEMU
 * versions: none (before 2015, and the default since 6.0), `<pid>@<sec>.<usec>:` (2015-2018),
 * `<tid>@<sec>.<usec>:` (2018-2021, and with `-msg timestamp=on` until 10.1), and an ISO-8601
 * UTC timestamp followed by a space (10.1 onwards with `-msg timestamp=on`).
 * Port values of cpu_in/cpu_out are decimal. Under KVM or TCG, port IO shows up as
 * memory_region_ops_read/write on the `xen-fixed` region instead (hex values, absolute address).
 */
export type TraceLine =
  | {
      kind: 'access';
      op: 'in' | 'out';
      port: number;
      size: 1 | 2 | 4;
      value: number;
      timeUs: number | null;
    }
  | { kind: 'guest-log'; text: string; timeUs: number | null }
  | { kind: 'other'; timeUs: number | null }
  /** `prefixed`: the line had a time prefix (good or not), so it is no line without one. */
  | { kind: 'unparseable'; reason: string; prefixed?: true };

const OLD_PREFIX = /^(\d+)@(\d+)\.(\d{6}):(.*)$/;
const ISO_PREFIX = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)\.(\d{6})Z (.*)$/;
const CPU_IO = /^cpu_(in|out) addr 0x([0-9a-f]+)\(([bwl])\) value (\d+)$/;
const MR_OPS =
  /^memory_region_ops_(read|write) cpu -?\d+ mr 0x[0-9a-f]+ addr 0x([0-9a-f]+) value 0x([0-9a-f]+) size (\d+) name '([^']*)'$/;
const PLATFORM_LOG = 'xen_platform_log xen platform: ';
const SIZE_CHARS: Record<string, 1 | 2 | 4> = { b: 1, w: 2, l: 4 };
const MAX_VALUE: Record<number, number> = { 1: 0xff, 2: 0xffff, 4: 0xffffffff };

export function parseTraceLine(raw: string): TraceLine {
  const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
  let timeUs: number | null = null;
  let body = line;
  const old = OLD_PREFIX.exec(line);
  const iso = old ? null : ISO_PREFIX.exec(line);
  if (old) {
    timeUs = Number(old[2]) * 1_000_000 + Number(old[3]);
    body = old[4]!;
  } else if (iso) {
    timeUs = isoMicros(iso);
    body = iso[8]!;
  }
  if ((old || iso) && !isEventMicros(timeUs)) {
    const reason = 'timestamp outside 1970-2249 or not a real date';
    return { kind: 'unparseable', reason, prefixed: true };
  }
  const parsed = parseEvent(body, timeUs);
  // A malformed event behind a prefix is still no line without a time prefix.
  if (parsed.kind === 'unparseable' && (old || iso)) return { ...parsed, prefixed: true };
  return parsed;
}

function parseEvent(body: string, timeUs: number | null): TraceLine {
  if (body.startsWith(PLATFORM_LOG))
    return { kind: 'guest-log', text: body.slice(PLATFORM_LOG.length), timeUs };
  if (body.startsWith('cpu_in ') || body.startsWith('cpu_out ')) return parseCpuIo(body, timeUs);
  if (body.startsWith('memory_region_ops_')) return parseRegionOps(body, timeUs);
  // Guest text only ever appears after xen_platform_log; control bytes elsewhere are junk.
  if (BINARY.test(body)) return { kind: 'unparseable', reason: 'binary data' };
  return { kind: 'other', timeUs };
}

/** Control bytes other than TAB, and DEL: not something QEMU's log backend prints. */
// eslint-disable-next-line no-control-regex
const BINARY = /[\u0000-\u0008\u000a-\u001f\u007f]/;

function isoMicros(iso: RegExpExecArray): number | null {
  const [, y, mo, d, h, mi, s, us] = iso.map(Number);
  const ms = Date.UTC(y!, mo! - 1, d!, h!, mi!, s!);
  // Date.UTC rolls 2025-02-30 over into March; a real timestamp round-trips.
  const back = new Date(ms);
  if (back.getUTCMonth() !== mo! - 1 || back.getUTCDate() !== d! || back.getUTCHours() !== h!)
    return null;
  return ms * 1000 + us!;
}

function isEventMicros(timeUs: number | null): boolean {
  return timeUs !== null && Number.isSafeInteger(timeUs) && timeUs < EVENT_TIME_END_MICROS;
}

function parseCpuIo(body: string, timeUs: number | null): TraceLine {
  const m = CPU_IO.exec(body);
  if (!m) return { kind: 'unparseable', reason: `malformed ${body.split(' ')[0]} event` };
  const port = parseInt(m[2]!, 16);
  const size = SIZE_CHARS[m[3]!]!;
  const value = Number(m[4]);
  if (value > MAX_VALUE[size]!)
    return { kind: 'unparseable', reason: `value ${value} too large for size ${size}` };
  if (port < 0x10 || port > 0x1f) return { kind: 'other', timeUs };
  return { kind: 'access', op: m[1] === 'in' ? 'in' : 'out', port, size, value, timeUs };
}

function parseRegionOps(body: string, timeUs: number | null): TraceLine {
  const m = MR_OPS.exec(body);
  if (!m) return { kind: 'unparseable', reason: 'malformed memory_region_ops event' };
  if (m[5] !== 'xen-fixed') return { kind: 'other', timeUs };
  const size = Number(m[4]);
  if (size !== 1 && size !== 2 && size !== 4)
    return { kind: 'unparseable', reason: `size ${size} is not 1, 2 or 4` };
  const port = parseInt(m[2]!, 16);
  const value = parseInt(m[3]!, 16);
  if (port < 0x10 || port > 0x1f || value > MAX_VALUE[size]!) {
    return {
      kind: 'unparseable',
      reason: `xen-fixed access out of range: addr 0x${m[2]} value 0x${m[3]}`,
    };
  }
  return { kind: 'access', op: m[1] === 'read' ? 'in' : 'out', port, size, value, timeUs };
}
