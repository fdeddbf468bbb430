/**
 * The impact of a proposed entry, "which guests and hosts run that build now", is a ClickHouse
 * question, so its query lives with the store (libs/store). This is the shape the blacklist API
 * expects from it; see README.md.
 */
export interface BlacklistImpactQuery {
  product: string;
  build: number;
  /** Only guests whose latest handshake is at or after this time (ISO 8601 UTC); default: all. */
  since?: string;
  /** Cap on the guests listed (counts stay exact). */
  limit: number;
}

export interface BlacklistImpactGuest {
  vm: string;
  host: string;
  /** Time of the guest's latest handshake, the one that announced this build. */
  lastSeen: string;
  /** That handshake's result, e.g. `unplugged`: what the guest runs on now. */
  result: string;
}

export interface BlacklistImpact {
  product: string;
  build: number;
  /** Guests whose latest handshake announced this product and build. */
  guests: number;
  hosts: number;
  /** Up to `limit` of them, latest first. */
  sample: BlacklistImpactGuest[];
}

export type BlacklistImpactFn = (query: BlacklistImpactQuery) => Promise<BlacklistImpact>;
