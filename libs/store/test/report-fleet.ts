import {
  toEventTime,
  type EventStamper,
  type HandshakeOutcomeData,
  type MagicportEvent,
} from '@magicport/events';
import {
  RAW_TABLES,
  insertRawJson,
  rawRowJson,
  rawTableOf,
  type ClickHouseStore,
} from '@magicport/store';
import { SOURCE, blacklistChange, guestStamper, logData, outcomeData } from './store-samples';

/**
 * A small hand-built fleet over two UTC days whose report answers are worked out by hand in
 * reports.int.spec.ts:
 * - g1 (host-a): boot 1 on day 1 handshakes linux build 1 (unplugged), writes 2 log lines and
 *   3 accesses; boot 2 on day 2 handshakes linux build 2 (unplugged);
 * - g2 (host-b): linux build 1, blacklisted (honoured) on day 1, answered from revision 5;
 * - g3 (host-b): xensource-windows 590080, blacklist-ignored (unplugged anyway, a violation) on day 2;
 * - g4 (host-a): started on day 2, no handshake;
 * - g5 (host-c): unregistered product 0x1234 build 7, no-unplug on day 2;
 * - g6 (host-a): linux build 1 unplugged on day 1, then stopped.
 */
export const vm = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
export const DAY1 = Date.UTC(2026, 2, 1) * 1000;
export const DAY2 = Date.UTC(2026, 2, 2) * 1000;
const HOUR = 3_600_000_000;
export const at = (day: number, hours: number) => day + hours * HOUR;
export const iso = toEventTime;

const started = {
  profile: 'spec',
  enforceBlacklist: true,
  agentVersion: '0.1.0',
  source: 'simulated',
  options: { logByteAccesses: false, idleGapMs: 5000 },
} as const;

function handshake(
  stamper: EventStamper,
  end: number,
  overrides: Partial<HandshakeOutcomeData>,
): MagicportEvent {
  return stamper.stamp(
    'handshake.outcome',
    outcomeData({
      violations: [],
      startTime: iso(end - 100),
      endTime: iso(end),
      ...overrides,
    }),
    end,
  );
}

const linux = { number: 3, name: 'linux' };
const blacklistedAnswer: Partial<HandshakeOutcomeData> = {
  result: 'blacklisted',
  blacklisted: true,
  mask: 0,
  maskWrites: [],
};

export function fleetEvents(): MagicportEvent[] {
  const events: MagicportEvent[] = [];
  const g1 = guestStamper({ vm: vm(1), dm: 'dm-g1', host: 'host-a', boot: 1 });
  events.push(
    g1.stamp('dm.started', started, at(DAY1, 1)),
    g1.stamp(
      'port.access',
      { op: 'in', port: 0x10, size: 2, value: null, response: 0x49d2 },
      at(DAY1, 1) + 10,
    ),
    g1.stamp(
      'guest.log',
      logData(Buffer.from('Xen PV: INIT ok'), {
        handshakeId: 'dm-g1:1',
        firstTime: iso(at(DAY1, 1) + 11),
        lastTime: iso(at(DAY1, 1) + 19),
        droppedBefore: 0,
        throttledMs: 0,
      }),
      at(DAY1, 1) + 20,
    ),
    g1.stamp(
      'port.access',
      { op: 'out', port: 0x12, size: 2, value: 3, response: null },
      at(DAY1, 1) + 30,
    ),
    g1.stamp(
      'port.access',
      { op: 'out', port: 0x10, size: 2, value: 3, response: null },
      at(DAY1, 1) + 40,
    ),
    handshake(g1, at(DAY1, 1) + 50, { handshakeId: 'dm-g1:1', product: linux, build: 1 }),
    g1.stamp(
      'guest.log',
      logData(Buffer.from([0x62, 0x79, 0x65, 0xff]), {
        handshakeId: null,
        firstTime: iso(at(DAY1, 1) + 51),
        lastTime: iso(at(DAY1, 1) + 59),
        droppedBefore: 4,
        throttledMs: 12.5,
      }),
      at(DAY1, 1) + 60,
    ),
  );
  g1.setBoot(2);
  events.push(
    g1.stamp('dm.started', started, at(DAY2, 1)),
    handshake(g1, at(DAY2, 2), { handshakeId: 'dm-g1:9', product: linux, build: 2 }),
  );
  const g2 = guestStamper({ vm: vm(2), dm: 'dm-g2', host: 'host-b' });
  events.push(
    g2.stamp('dm.started', started, at(DAY1, 2)),
    handshake(g2, at(DAY1, 3), {
      ...blacklistedAnswer,
      product: linux,
      build: 1,
      blacklistKey: '/mh/driver-blacklist/linux/1',
      unplugApplied: false,
      unplug: { ideScsiDisks: false, nics: false, auxIdeDisks: false, nvmeDisks: false },
      ...({ blacklistRevision: 5 } as object),
    }),
  );
  const g3 = guestStamper({ vm: vm(3), dm: 'dm-g3', host: 'host-b' });
  events.push(
    g3.stamp('dm.started', started, at(DAY2, 3)),
    handshake(g3, at(DAY2, 4), {
      result: 'blacklist-ignored',
      blacklisted: true,
      product: { number: 1, name: 'xensource-windows' },
      build: 590080,
      blacklistKey: '/mh/driver-blacklist/xensource-windows/590080',
      violations: ['mask-while-blacklisted'],
    }),
  );
  const g4 = guestStamper({ vm: vm(4), dm: 'dm-g4', host: 'host-a' });
  events.push(g4.stamp('dm.started', started, at(DAY2, 5)));
  const g5 = guestStamper({ vm: vm(5), dm: 'dm-g5', host: 'host-c' });
  events.push(
    g5.stamp('dm.started', started, at(DAY2, 6)),
    handshake(g5, at(DAY2, 7), {
      result: 'no-unplug',
      product: { number: 0x1234, name: null },
      build: 7,
      mask: 0,
      maskWrites: [],
      unplugApplied: false,
    }),
  );
  const g6 = guestStamper({ vm: vm(6), dm: 'dm-g6', host: 'host-a' });
  events.push(
    g6.stamp('dm.started', started, at(DAY1, 8)),
    handshake(g6, at(DAY1, 9), { product: linux, build: 1 }),
    g6.stamp('dm.stopped', { reason: 'guest-shutdown', detail: null }, at(DAY1, 10)),
  );
  events.push(
    blacklistChange('blacklist.entry.added', 1, {
      product: 'linux',
      build: 1,
      key: '/mh/driver-blacklist/linux/1',
    }),
    blacklistChange('blacklist.entry.added', 2, { actor: 'bob' }),
    blacklistChange('blacklist.entry.removed', 3, { reason: 'fixed' }),
  );
  return events;
}

/** Inserts the events table by table, one batch each, as the ingest would. */
export async function loadEvents(
  store: ClickHouseStore,
  events: MagicportEvent[],
  token: string,
): Promise<void> {
  for (const table of RAW_TABLES) {
    const rows = events
      .filter((e) => rawTableOf(e.type) === table)
      .map((e) => rawRowJson(e, SOURCE));
    await insertRawJson(store, table, rows, `${token}-${table}`);
  }
}
