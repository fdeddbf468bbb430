import { createHash, timingSafeEqual } from 'node:crypto';

/** The write tokens, as their names and sha256 digests: the tokens themselves are never kept. */
export interface TokenTable {
  readonly entries: ReadonlyArray<{ readonly name: string; readonly digest: Buffer }>;
}

/** A token configuration that cannot be used; `problems` lists every bad entry. */
export class TokenConfigError extends Error {
  override readonly name = 'TokenConfigError';
  constructor(readonly problems: string[]) {
    super(`bad blacklist token configuration: ${problems.join('; ')}`);
  }
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;
const DIGEST = /^[0-9a-f]{64}$/i;

/**
 * Parses `name:sha256hex` entries separated by commas, whitespace or newlines (e.g. the
 * environment variable MAGICPORT_BLACKLIST_TOKENS); the name is recorded as the actor of the
 * changes its token makes. An empty string is an empty table (every write refused). Throws a
 * TokenConfigError naming every bad entry, so a bad configuration fails at startup.
 */
export function parseTokens(config: string): TokenTable {
  const entries: Array<{ name: string; digest: Buffer }> = [];
  const problems: string[] = [];
  const items = config.split(/[\s,]+/).filter((item) => item !== '');
  items.forEach((item, index) => {
    const at = `entry ${index + 1}`;
    const colon = item.lastIndexOf(':');
    const name = colon < 0 ? '' : item.slice(0, colon);
    const digest = colon < 0 ? item : item.slice(colon + 1);
    if (!NAME.test(name)) {
      problems.push(`${at}: needs a name (1-64 of [A-Za-z0-9._@-]) before ':'`);
    } else if (!DIGEST.test(digest)) {
      problems.push(`${at} (${name}): after ':' goes the token's sha256 as 64 hex digits`);
    } else if (entries.some((e) => e.name === name)) {
      problems.push(`${at}: the name ${name} is given twice`);
    } else if (entries.some((e) => e.digest.equals(Buffer.from(digest, 'hex')))) {
      problems.push(`${at} (${name}): the same token as another name`);
    } else {
      entries.push({ name, digest: Buffer.from(digest, 'hex') });
    }
  });
  if (problems.length > 0) throw new TokenConfigError(problems);
  return { entries };
}

/** The digest to configure for a token: its sha256, lowercase hex. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/**
 * The actor a bearer token stands for, or null for a missing or unknown one. Compares the
 * token's sha256 with every entry in constant time and without stopping at a match, so neither
 * which entry matched nor how much of it leaks through timing.
 */
export function authenticate(table: TokenTable, token: string | null | undefined): string | null {
  if (typeof token !== 'string' || token === '') return null;
  const digest = createHash('sha256').update(token, 'utf8').digest();
  let actor: string | null = null;
  for (const entry of table.entries) {
    if (timingSafeEqual(entry.digest, digest) && actor === null) actor = entry.name;
  }
  return actor;
}

/** The token of an `Authorization: Bearer <token>` header value, or null. */
export function bearerToken(authorization: string | null | undefined): string | null {
  const match = /^Bearer[ ]+([^\s]+)\s*$/i.exec(authorization ?? '');
  return match ? match[1]! : null;
}
