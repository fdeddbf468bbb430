import { createHash } from 'node:crypto';
import { MAX_DOMID, STREAM_ID_PATTERN, UUID_PATTERN } from '@magicport/events';
import { DEFAULT_IDLE_GAP_MS, PROFILES, type ProfileName } from '@magicport/protocol';
import type { TapFormat } from './format-detect';
import { checkTimeZone } from './wall-clock';

export interface TapOptions {
  path: string;
  /** Keep reading as the file grows, across rotation, until stopped. */
  follow: boolean;
  format: TapFormat | 'auto';
  vm: string;
  host: string;
  domid: number;
  /**
   * How accesses are decoded and tracked (which port/width means what, blacklist key lookups,
   * the log limiter); never what the guest was answered. Null: qemu-upstream for a QEMU trace,
   * qemu-traditional for a qemu-dm log.
   */
  profile: ProfileName | null;
  /** Event stream id; null: derived from host, vm and the file's identity (see tapDmId). */
  dm: string | null;
  /** Time of line 0 for lines without a prefix time, µs since the epoch. */
  originUs: number;
  /**
   * IANA time zone of a console log's zone-less `[YYYY-MM-DD HH:MM:SS]` times (the console
   * daemon's local time); null reads them as UTC.
   */
  tz: string | null;
  idleGapMs: number;
  logByteAccesses: boolean;
  pollMs: number;
  /** Pause reading while this many journal bytes wait for the bus. */
  maxBacklogBytes: number;
}

export const TAP_DEFAULTS = {
  follow: false,
  format: 'auto',
  domid: 0,
  profile: null,
  dm: null,
  originUs: 0,
  tz: null,
  idleGapMs: DEFAULT_IDLE_GAP_MS,
  logByteAccesses: false,
  pollMs: 200,
  maxBacklogBytes: 64 * 1024 * 1024,
} satisfies Partial<TapOptions>;

/** Bad tap options, every problem listed. */
export class TapOptionsError extends Error {
  override name = 'TapOptionsError';
  constructor(readonly problems: string[]) {
    super(problems.join('; '));
  }
}

export function checkTapOptions(options: TapOptions): TapOptions {
  const problems: string[] = [];
  if (!new RegExp(UUID_PATTERN).test(options.vm))
    problems.push(`vm must be a lowercase canonical UUID (got ${JSON.stringify(options.vm)})`);
  if (options.host.length < 1 || options.host.length > 255)
    problems.push(`host must be 1-255 characters (got ${JSON.stringify(options.host)})`);
  if (!Number.isInteger(options.domid) || options.domid < 0 || options.domid > MAX_DOMID)
    problems.push(`domid must be an integer from 0 to ${MAX_DOMID} (got ${options.domid})`);
  if (options.profile !== null && !PROFILES.includes(options.profile))
    problems.push(`profile must be one of ${PROFILES.join(', ')} (got ${options.profile})`);
  if (options.dm !== null && !new RegExp(STREAM_ID_PATTERN).test(options.dm))
    problems.push(`dm must match ${STREAM_ID_PATTERN} (got ${JSON.stringify(options.dm)})`);
  if (
    !Number.isSafeInteger(options.originUs) ||
    options.originUs < 0 ||
    options.originUs >= Date.UTC(2200, 0, 1) * 1000
  )
    problems.push('origin must be a time from 1970 to 2199');
  const zoneProblem = options.tz === null ? null : checkTimeZone(options.tz);
  if (zoneProblem) problems.push(zoneProblem);
  if (problems.length > 0) throw new TapOptionsError(problems);
  return options;
}

/** Identity of a file that survives renames (inode), not copies. */
export interface FileIdentity {
  dev: number;
  ino: number;
  birthtimeMs: number;
}

/**
 * The default event stream id: `<host>.tap-<vm prefix>-<hash of host, vm and the file's
 * identity>`. Re-tapping the same file (also once rotated away by rename) resumes its stream, so
 * nothing is recorded twice; another file gets its own stream.
 */
export function tapDmId(host: string, vm: string, file: FileIdentity): string {
  const hash = createHash('sha256')
    .update(`${host}\n${vm}\n${file.dev}:${file.ino}:${file.birthtimeMs}`)
    .digest('hex')
    .slice(0, 10);
  const safeHost = host
    .replace(/[^A-Za-z0-9._-]/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, 80);
  return `${safeHost || 'host'}.tap-${vm.slice(0, 8)}-${hash}`;
}

/** qemu-dm logs come from qemu-traditional; traces and (Qubes R4.1+) stubdomains from upstream QEMU. */
export function defaultProfile(format: TapFormat): ProfileName {
  return format === 'qemu-dm' ? 'qemu-traditional' : 'qemu-upstream';
}

/** What dm.started says the accesses come from: traced, or inferred from qemu-dm's messages. */
export function tapSource(format: TapFormat, profile: ProfileName): 'qemu-trace' | 'qemu-dm-log' {
  if (format === 'qemu-dm') return 'qemu-dm-log';
  // A stubdomain console of qemu-traditional (Mini-OS) holds qemu-dm's messages, no trace.
  if (format === 'qubes-stubdom' && profile === 'qemu-traditional') return 'qemu-dm-log';
  return 'qemu-trace';
}
