import type { GuestEvent, HandshakeOutcomeData } from '@magicport/events';
import type { GuestKind, GuestPlan } from './population';

export interface ProductBuildTruth {
  product: number;
  name: string | null;
  build: number;
  guests: number;
  hosts: number;
  handshakes: number;
}

export interface BlacklistHitTruth {
  /** Handshakes the device model answered 0xd249. */
  handshakes: number;
  guests: number;
  /** The driver wrote no mask (result `blacklisted`). */
  honoured: number;
  /** The driver unplugged anyway (result `blacklist-ignored`). */
  ignored: number;
}

/** Ground truth of a simulated run, for comparing reports against. */
export interface FleetManifest {
  seed: number;
  hosts: number;
  guests: number;
  boots: number;
  start: string;
  guestsByKind: Partial<Record<GuestKind, number>>;
  guestsByProfile: Record<string, number>;
  /** Keyed `{product name or #number}/{build}`. */
  productBuilds: Record<string, ProductBuildTruth>;
  handshakeResults: Record<string, number>;
  blacklistHits: Record<string, BlacklistHitTruth>;
  eventsByType: Record<string, number>;
  totalEvents: number;
}

/**
 * Accumulates the manifest from the plans and from every event the fleet produced. It holds
 * counters only, never a set of guests: the fleet runs one guest at a time (`guest()` opens the
 * next), so a guest is counted once per product build or blacklist key by remembering which
 * guest counted last.
 */
export class ManifestBuilder {
  private readonly products = new Map<
    string,
    { truth: ProductBuildTruth; lastGuest: number; hosts: Set<string> }
  >();
  private readonly hits = new Map<string, { truth: BlacklistHitTruth; lastGuest: number }>();
  private readonly results: Record<string, number> = {};
  private readonly events: Record<string, number> = {};
  private readonly kinds: Partial<Record<GuestKind, number>> = {};
  private readonly profiles: Record<string, number> = {};
  private current = -1;
  private total = 0;

  constructor(
    private readonly run: {
      seed: number;
      hosts: number;
      guests: number;
      boots: number;
      start: string;
    },
  ) {}

  /** The next guest: every event observed from now on is its. */
  guest(plan: GuestPlan): void {
    this.current = plan.index;
    this.kinds[plan.kind] = (this.kinds[plan.kind] ?? 0) + 1;
    this.profiles[plan.host.profile] = (this.profiles[plan.host.profile] ?? 0) + 1;
  }

  observe(event: GuestEvent): void {
    this.events[event.type] = (this.events[event.type] ?? 0) + 1;
    this.total++;
    if (event.type === 'handshake.outcome') this.handshake(event.host, event.data);
  }

  build(): FleetManifest {
    return {
      ...this.run,
      guestsByKind: sortKeys(this.kinds),
      guestsByProfile: sortKeys(this.profiles),
      productBuilds: sortKeys(
        Object.fromEntries(
          [...this.products].map(([k, v]) => [k, { ...v.truth, hosts: v.hosts.size }]),
        ),
      ),
      handshakeResults: sortKeys(this.results),
      blacklistHits: sortKeys(Object.fromEntries([...this.hits].map(([k, v]) => [k, v.truth]))),
      eventsByType: sortKeys(this.events),
      totalEvents: this.total,
    };
  }

  private handshake(host: string, h: HandshakeOutcomeData): void {
    this.results[h.result] = (this.results[h.result] ?? 0) + 1;
    if (h.product !== null && h.build !== null) {
      const key = `${h.product.name ?? `#${h.product.number}`}/${h.build}`;
      let entry = this.products.get(key);
      if (!entry) {
        entry = {
          truth: {
            product: h.product.number,
            name: h.product.name,
            build: h.build,
            guests: 0,
            hosts: 0,
            handshakes: 0,
          },
          lastGuest: -1,
          hosts: new Set(),
        };
        this.products.set(key, entry);
      }
      entry.truth.handshakes++;
      if (entry.lastGuest !== this.current) {
        entry.lastGuest = this.current;
        entry.truth.guests++;
      }
      entry.hosts.add(host);
    }
    if (h.blacklisted && h.blacklistKey !== null) {
      let hit = this.hits.get(h.blacklistKey);
      if (!hit) {
        hit = { truth: { handshakes: 0, guests: 0, honoured: 0, ignored: 0 }, lastGuest: -1 };
        this.hits.set(h.blacklistKey, hit);
      }
      hit.truth.handshakes++;
      if (hit.lastGuest !== this.current) {
        hit.lastGuest = this.current;
        hit.truth.guests++;
      }
      if (h.result === 'blacklisted') hit.truth.honoured++;
      if (h.result === 'blacklist-ignored') hit.truth.ignored++;
    }
  }
}

function sortKeys<T>(record: Partial<Record<string, T>>): Record<string, T> {
  return Object.fromEntries(
    Object.entries(record).sort(([a], [b]) => a.localeCompare(b)),
  ) as Record<string, T>;
}
