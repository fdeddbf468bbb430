import { BLACKLIST_ROOT, PRODUCTS } from '../constants';
import { PROFILES, type Op, type ProfileName, type Width } from '../types';

/** DESIGN §3: a JSON file that drives one device-model instance. A stable public contract. */
export interface Transcript {
  profile: ProfileName;
  blacklist: string[];
  enforceBlacklist: boolean;
  idleGapMs?: number;
  accesses: TranscriptAccess[];
}

export interface TranscriptAccess {
  op: Op;
  port: number;
  size: Width;
  /** `out` only. */
  value?: number;
  /** Microseconds since start; absent = same time as the previous access. */
  t?: number;
}

/** A malformed transcript; each problem names the offending entry, e.g. `accesses[3].size`. */
export class TranscriptError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(problems.join('\n'));
    this.name = 'TranscriptError';
  }
}

/**
 * A JSON number a double cannot hold as written (`1e400`, a 23-digit integer), kept as its text
 * by a reader that can see it (the CLI), so that the message about it shows it as the user wrote
 * it. No field accepts one.
 */
export class JsonNumberText {
  constructor(readonly text: string) {}
  toJSON(): string {
    return this.text;
  }
}

const TOP_KEYS = ['profile', 'blacklist', 'enforceBlacklist', 'idleGapMs', 'accesses'];
const ACCESS_KEYS = ['op', 'port', 'size', 'value', 't'];
const MAX_PROBLEMS = 20;

type Json = Record<string, unknown>;

/** Validates a parsed JSON value; throws a TranscriptError listing every problem found. */
export function parseTranscript(json: unknown): Transcript {
  const problems: string[] = [];
  if (!isObject(json))
    throw new TranscriptError(['transcript: must be a JSON object with an "accesses" array']);
  unknownKeys(json, TOP_KEYS, '', problems);
  const profile = parseProfile(json.profile, problems);
  const enforceBlacklist = parseEnforce(json.enforceBlacklist, profile, problems);
  const transcript: Transcript = {
    profile,
    blacklist: parseBlacklist(json.blacklist, problems),
    enforceBlacklist,
    accesses: parseAccesses(json.accesses, problems),
  };
  if (json.idleGapMs !== undefined) {
    if (isPositiveNumber(json.idleGapMs)) transcript.idleGapMs = json.idleGapMs;
    else
      problems.push(
        `idleGapMs: must be a positive number of milliseconds (got ${show(json.idleGapMs)})`,
      );
  }
  if (problems.length > 0) throw new TranscriptError(capped(problems));
  return transcript;
}

function parseProfile(value: unknown, problems: string[]): ProfileName {
  if (value === undefined) return 'spec';
  if (PROFILES.includes(value as ProfileName)) return value as ProfileName;
  problems.push(
    `profile: must be one of ${PROFILES.map((p) => `"${p}"`).join(', ')} (got ${show(value)})`,
  );
  return 'spec';
}

function parseEnforce(value: unknown, profile: ProfileName, problems: string[]): boolean {
  if (value === undefined) return false;
  if (typeof value !== 'boolean') {
    problems.push(`enforceBlacklist: must be true or false (got ${show(value)})`);
    return false;
  }
  if (value && profile !== 'spec') {
    problems.push(
      `enforceBlacklist: only the spec profile can enforce the blacklist (${profile} never does)`,
    );
  }
  return value;
}

function parseBlacklist(value: unknown, problems: string[]): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    problems.push(
      `blacklist: must be an array of xenstore keys such as "/mh/driver-blacklist/linux/1"`,
    );
    return [];
  }
  const keys: string[] = [];
  value.forEach((key, i) => {
    const problem = blacklistKeyProblem(key);
    if (problem === null) keys.push(key as string);
    else problems.push(`blacklist[${i}]: ${problem}`);
  });
  return keys;
}

const PRODUCT_NAMES = [...PRODUCTS.values()];
const KEY_SHAPE = new RegExp(`^${BLACKLIST_ROOT}/([^/]+)/([^/]+)$`);

/**
 * A listed key the device model could never look up would be a silent no-op, so only the keys
 * of DESIGN §3 pass: `/mh/driver-blacklist/{registered product name}/{build in decimal}` (the
 * spec's unsigned build, or qemu-traditional's signed `%d` one).
 */
function blacklistKeyProblem(key: unknown): string | null {
  if (typeof key !== 'string') return `must be a string (got ${show(key)})`;
  const match = KEY_SHAPE.exec(key);
  if (!match) return `must be a key like "${BLACKLIST_ROOT}/linux/1" (got ${show(key)})`;
  const [, name, build] = match as unknown as [string, string, string];
  if (!PRODUCT_NAMES.includes(name))
    return `unknown product name ${show(name)} in ${show(key)} (known: ${PRODUCT_NAMES.join(', ')})`;
  const n = Number(build);
  if (!/^(0|-?[1-9]\d*)$/.test(build) || n < -(2 ** 31) || n > 2 ** 32 - 1)
    return `the build in ${show(key)} must be a decimal number from -2147483648 to 4294967295 without leading zeros`;
  return null;
}

function parseAccesses(value: unknown, problems: string[]): TranscriptAccess[] {
  if (value === undefined) {
    problems.push('accesses: required (an array of {"op", "port", "size", "value"?, "t"?})');
    return [];
  }
  if (!Array.isArray(value)) {
    problems.push(`accesses: must be an array (got ${show(value)})`);
    return [];
  }
  const accesses: TranscriptAccess[] = [];
  let previousT: number | undefined;
  for (let i = 0; i < value.length && problems.length <= MAX_PROBLEMS; i++) {
    const access = parseAccess(value[i], `accesses[${i}]`, previousT, problems);
    if (access === null) continue;
    if (access.t !== undefined) previousT = access.t;
    accesses.push(access);
  }
  return accesses;
}

function parseAccess(
  entry: unknown,
  path: string,
  previousT: number | undefined,
  problems: string[],
): TranscriptAccess | null {
  if (!isObject(entry)) {
    problems.push(
      `${path}: must be an object such as {"op": "in", "port": 16, "size": 2} (got ${show(entry)})`,
    );
    return null;
  }
  const before = problems.length;
  unknownKeys(entry, ACCESS_KEYS, `${path}.`, problems);
  const { op, port, size, value, t } = entry;
  if (op !== 'in' && op !== 'out')
    problems.push(`${path}.op: must be "in" or "out" (got ${show(op)})`);
  if (!isInteger(port) || port < 0 || port > 0xffff) {
    problems.push(`${path}.port: must be an integer from 0 to 65535 (got ${show(port)})`);
  }
  if (size !== 1 && size !== 2 && size !== 4)
    problems.push(`${path}.size: must be 1, 2 or 4 (got ${show(size)})`);
  checkValue(op, size, value, path, problems);
  if (t !== undefined) {
    if (typeof t !== 'number' || !Number.isFinite(t) || t < 0) {
      problems.push(`${path}.t: must be a non-negative number of microseconds (got ${show(t)})`);
    } else if (previousT !== undefined && t < previousT) {
      problems.push(`${path}.t: goes back in time (${t} after ${previousT})`);
    }
  }
  if (problems.length > before) return null;
  const access: TranscriptAccess = { op: op as Op, port: port as number, size: size as Width };
  if (op === 'out') access.value = value as number;
  if (t !== undefined) access.t = t as number;
  return access;
}

function checkValue(
  op: unknown,
  size: unknown,
  value: unknown,
  path: string,
  problems: string[],
): void {
  if (op === 'in') {
    if (value !== undefined) {
      problems.push(
        `${path}.value: only "out" accesses carry a value (the device model answers "in")`,
      );
    }
    return;
  }
  if (op !== 'out') return;
  if (value === undefined) {
    problems.push(`${path}.value: required for "out"`);
    return;
  }
  const bytes = size === 1 || size === 2 || size === 4 ? size : 4;
  const max = 2 ** (8 * bytes) - 1;
  if (!isInteger(value) || value < 0 || value > max) {
    problems.push(
      `${path}.value: must be an integer from 0 to ${max} for a ${bytes}-byte write (got ${show(value)})`,
    );
  }
}

function unknownKeys(
  object: Json,
  allowed: readonly string[],
  prefix: string,
  problems: string[],
): void {
  for (const key of Object.keys(object)) {
    if (!allowed.includes(key))
      problems.push(`${prefix}${key}: unknown key (allowed: ${allowed.join(', ')})`);
  }
}

function capped(problems: string[]): string[] {
  if (problems.length <= MAX_PROBLEMS) return problems;
  return [...problems.slice(0, MAX_PROBLEMS), `... and more problems after these ${MAX_PROBLEMS}`];
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value);
}

function isPositiveNumber(value: unknown): value is number {
  return typeof value === 'number' && value > 0 && !Number.isNaN(value);
}

function show(value: unknown): string {
  const text =
    value === undefined
      ? 'nothing'
      : value instanceof JsonNumberText
        ? value.text
        : JSON.stringify(value);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}
