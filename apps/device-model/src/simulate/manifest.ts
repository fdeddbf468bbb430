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

/** Accumulates the manifest from the plans and from every event the fleet produced. */
export class ManifestBuilder {
  private readonly products = new Map<
    string,
    { truth: ProductBuildTruth; guests: Set<string>; hosts: Set<string> }
  >();
  private readonly hits = new Map<string, { truth: BlacklistHitTruth; guests: Set<string> }>();
  private readonly results: Record<string, number> = {};
  private readonly events: Record<string, number> = {};
  private total = 0;

  constructor(
    private readonly run: {
      seed: number;
      hosts: number;
      guests: number;
      boots: number;
      start: string;
    },
    private readonly plans: readonly GuestPlan[],
  ) {}

  observe(event: GuestEvent): void {
    this.events[event.type] = (this.events[event.type] ?? 0) + 1;
    this.total++;
    if (event.type === 'handshake.outcome') this.handshake(event.vm, event.host, event.data);
  }

  build(): FleetManifest {
    const count = <K extends string>(keys: K[]) =>
      keys.reduce<Record<string, number>>((acc, k) => ((acc[k] = (acc[k] ?? 0) + 1), acc), {});
    return {
      ...this.run,
      guestsByKind: count(this.plans.map((p) => p.kind)),
      guestsByProfile: count(this.plans.map((p) => p.host.profile)),
      productBuilds: sortKeys(
        Object.fromEntries(
          [...this.products].map(([k, v]) => [
            k,
            { ...v.truth, guests: v.guests.size, hosts: v.hosts.size },
          ]),
        ),
      ),
      handshakeResults: sortKeys(this.results),
      blacklistHits: sortKeys(
        Object.fromEntries(
          [...this.hits].map(([k, v]) => [k, { ...v.truth, guests: v.guests.size }]),
        ),
      ),
      eventsByType: sortKeys(this.events),
      totalEvents: this.total,
    };
  }

  private handshake(vm: string, host: string, h: HandshakeOutcomeData): void {
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
          guests: new Set(),
          hosts: new Set(),
        };
        this.products.set(key, entry);
      }
      entry.truth.handshakes++;
      entry.guests.add(vm);
      entry.hosts.add(host);
    }
    if (h.blacklisted && h.blacklistKey !== null) {
      let hit = this.hits.get(h.blacklistKey);
      if (!hit) {
        hit = { truth: { handshakes: 0, guests: 0, honoured: 0, ignored: 0 }, guests: new Set() };
        this.hits.set(h.blacklistKey, hit);
      }
      hit.truth.handshakes++;
      hit.guests.add(vm);
      if (h.result === 'blacklisted') hit.truth.honoured++;
      if (h.result === 'blacklist-ignored') hit.truth.ignored++;
    }
  }
}

function sortKeys<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b)));
}
