import { randomBytes } from 'node:crypto';

/**
 * A stream id for one run of a blacklist writer (event ids are `{stream}:{seq}` and must never
 * repeat): `blacklist-{host}-{time}-{random}`, host cut to what a stream id may hold.
 */
export function writerStreamId(host: string): string {
  const safe = host.replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 80);
  return `blacklist-${safe}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}
