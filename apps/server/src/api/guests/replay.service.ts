import {
  blacklistKey,
  OUTCOME_FIELDS,
  productNumber,
  recordedAccesses,
  replay,
  type HandshakeOutcome,
  type ProfileName,
  type RecordedAccess,
  type TimelineEntry,
} from '@magicport/protocol';
import type { BlacklistState } from '@magicport/blacklist';
import {
  bootInstances,
  bootRecording,
  guestHandshakes,
  type RecordedHandshakeRow,
} from '@magicport/store';
import { ApiContext } from '../api-context';
import { badRequest, notFound } from '../api-problem';
import { isoOfUs } from './iso-time';

export interface ReplayRequest {
  vm: string;
  boot?: number;
  handshake?: string;
  profile?: ProfileName;
  enforce?: boolean;
  blacklist?: 'recorded' | 'current' | 'as-of' | 'given';
  asOf?: number;
  keys?: string;
  timelineLimit?: number;
}

/**
 * Replay of one boot from what ClickHouse holds: its port accesses plus the log-byte accesses
 * rebuilt from its guest.log events, run through libs/protocol's replay under the recorded
 * device-model settings or a what-if profile / enforcement / blacklist.
 */
export async function replayBoot(api: ApiContext, q: ReplayRequest) {
  const { boot, selected } = await chooseBoot(api, q);
  const [instances, guestAll] = await Promise.all([
    bootInstances(api.store, { vm: q.vm, boot }, api.limits),
    // Later boots play no part: neither recorded in this boot nor in its instance's history.
    guestHandshakes(api.store, { vm: q.vm, maxBoot: boot, limit: 100_000 }, api.limits),
  ]);
  const recordedAll = guestAll.filter((h) => h.boot === boot);
  const dm = selected?.dm ?? recordedAll[0]?.dm ?? instances[0]?.dm;
  if (dm === undefined) throw notFound(`guest ${q.vm} has no recorded boot ${boot}`);
  const instance = instances.find((i) => i.dm === dm);
  // The instance's earlier boots are replayed too: what a reset keeps (qemu-traditional keeps
  // its blacklist flag and product for the life of the process) is there when `boot` starts.
  const fromBoot = instance?.boot ?? boot;
  const recorded = recordedAll.filter((h) => h.dm === dm);
  const history = guestAll.filter((h) => h.dm === dm && h.boot >= fromBoot && h.boot <= boot);
  const recording = await bootRecording(api.store, { vm: q.vm, boot, dm, fromBoot }, api.limits);

  const logBytesRecorded = instance?.logByteAccesses ?? false;
  const byBoot = splitByBoot(recording, boot);
  // Each boot with the last line of the boot before it (a line its reset left in the buffer).
  const streams = byBoot.map((b, i) =>
    mergeAccesses(b, logBytesRecorded, byBoot[i - 1]?.logLines.at(-1) ?? null),
  );
  const earlierBoots = streams.slice(0, -1).map((bootAccesses) => ({
    accesses: bootAccesses,
    resetUs: bootAccesses[bootAccesses.length - 1]?.t ?? 0,
  }));
  const accesses = streams[streams.length - 1]!;
  const profile = q.profile ?? ((instance?.profile ?? 'spec') as ProfileName);
  const enforceBlacklist = q.enforce ?? instance?.enforceBlacklist ?? false;
  const blacklist = await blacklistFor(api, q, history);
  const limit = q.timelineLimit ?? 5000;
  const result = replay(
    { earlierBoots, accesses, outcomes: recorded.map(outcomeOf) },
    {
      profile,
      enforceBlacklist,
      blacklist: (key) => blacklist.keys.has(key),
      ...(instance ? { idleGapMs: instance.idleGapMs } : {}),
    },
    { timelineLimit: limit },
  );
  const index = selected ? recorded.findIndex((h) => h.handshakeId === selected.handshakeId) : -1;
  return {
    vm: q.vm,
    boot,
    dm,
    host: instance?.host ?? recorded[0]?.host ?? '',
    profile,
    enforceBlacklist,
    blacklist: {
      mode: blacklist.mode,
      revision: blacklist.revision,
      keys: [...blacklist.keys].sort(),
    },
    handshake: index >= 0 ? index : null,
    recorded,
    replayed: result.outcomes.map(outcomeOf),
    matches: result.differences.length === 0,
    differences: result.differences,
    accesses: accesses.length,
    timeline: timelineJson(result.timeline),
    timelineTruncated: result.timelineLength > limit,
  };
}

/** The response's timeline entries (the replay keeps only the first `timelineLimit`). */
function timelineJson(timeline: readonly TimelineEntry[]) {
  const out = new Array<{
    index: number;
    time: string;
    op: string;
    port: number;
    size: number;
    value: number | null;
    response: number | null;
    recordedResponse: number | null;
    meaning: string;
    handshake: number | null;
    phase: string;
  }>(timeline.length);
  for (let i = 0; i < timeline.length; i++) {
    const e = timeline[i]!;
    out[i] = {
      index: e.index,
      time: isoOfUs(e.t),
      op: e.op,
      port: e.port,
      size: e.size,
      value: e.value,
      response: e.response,
      recordedResponse: e.recordedResponse,
      meaning: e.meaning,
      handshake: e.handshakeId,
      phase: e.phase,
    };
  }
  return out;
}

async function chooseBoot(
  api: ApiContext,
  q: ReplayRequest,
): Promise<{ boot: number; selected: RecordedHandshakeRow | null }> {
  if (q.handshake !== undefined) {
    const [found] = await guestHandshakes(
      api.store,
      { vm: q.vm, handshakeId: q.handshake, limit: 1 },
      api.limits,
    );
    if (!found)
      throw notFound(`guest ${q.vm} has no handshake ${JSON.stringify(q.handshake.slice(0, 160))}`);
    if (q.boot !== undefined && q.boot !== found.boot)
      throw badRequest(`handshake ${q.handshake} is in boot ${found.boot}, not ${q.boot}`);
    return { boot: found.boot, selected: found };
  }
  if (q.boot !== undefined) return { boot: q.boot, selected: null };
  const all = await guestHandshakes(api.store, { vm: q.vm, limit: 100_000 }, api.limits);
  const last = all[all.length - 1];
  if (!last)
    throw notFound(
      `guest ${q.vm} has no recorded handshake; give --boot to replay a boot without one`,
    );
  return { boot: last.boot, selected: null };
}

type Recording = Awaited<ReturnType<typeof bootRecording>>;

/**
 * The instance's recording cut into its boots that hold something, in order, the requested boot
 * last (empty if nothing was recorded in it). Boots are numbers a client gives: never size an
 * array by them.
 */
function splitByBoot(recording: Recording, boot: number): Recording[] {
  const boots = new Map<number, Recording>();
  const of = (b: number): Recording => {
    let r = boots.get(b);
    if (!r) boots.set(b, (r = { accesses: [], logLines: [] }));
    return r;
  };
  for (const a of recording.accesses) if (a.boot <= boot) of(a.boot).accesses.push(a);
  for (const l of recording.logLines) if (l.boot <= boot) of(l.boot).logLines.push(l);
  const last = of(boot);
  boots.delete(boot);
  return [...[...boots].sort(([x], [y]) => x - y).map(([, r]) => r), last];
}

function mergeAccesses(
  recording: Recording,
  logBytesRecorded: boolean,
  previous: Recording['logLines'][number] | null,
): RecordedAccess[] {
  return recordedAccesses(recording.accesses, recording.logLines, logBytesRecorded, previous);
}

async function blacklistFor(api: ApiContext, q: ReplayRequest, recorded: RecordedHandshakeRow[]) {
  const mode =
    q.blacklist ?? (q.asOf !== undefined ? 'as-of' : q.keys !== undefined ? 'given' : 'recorded');
  if (mode === 'recorded') {
    const keys = new Set(
      recorded.filter((h) => h.blacklisted && h.blacklistKey).map((h) => h.blacklistKey!),
    );
    const revisions = recorded
      .map((h) => h.blacklistRevision)
      .filter((r): r is number => r !== null);
    return { mode, revision: revisions.length ? Math.max(...revisions) : null, keys };
  }
  if (mode === 'given') {
    if (q.keys === undefined)
      throw badRequest('keys: blacklist=given needs keys (comma-separated)', { parameter: 'keys' });
    const keys = q.keys
      .split(',')
      .map((k) => k.trim())
      .filter(Boolean);
    const bad = keys.find((k) => !/^\/mh\/driver-blacklist\/[^/\s]{1,64}\/-?\d{1,10}$/.test(k));
    if (bad !== undefined)
      throw badRequest(
        `keys: ${JSON.stringify(bad.slice(0, 80))} is not a key like /mh/driver-blacklist/linux/1`,
        { parameter: 'keys' },
      );
    return { mode, revision: null, keys: new Set(keys) };
  }
  const history = await api.blacklist.read();
  let state: BlacklistState = history.current;
  if (mode === 'as-of') {
    if (q.asOf === undefined)
      throw badRequest('asOf: blacklist=as-of needs asOf (a revision)', { parameter: 'asOf' });
    if (q.asOf > history.revision)
      throw badRequest(
        `asOf: the blacklist is at revision ${history.revision}; ${q.asOf} does not exist yet`,
        { parameter: 'asOf' },
      );
    state = history.asOf(q.asOf);
  }
  const keys = new Set<string>();
  for (const entry of state.entries.values()) {
    keys.add(entry.key);
    const number = productNumber(entry.product);
    const traditional =
      number === null ? null : blacklistKey(number, entry.build, 'qemu-traditional');
    if (traditional) keys.add(traditional);
  }
  return { mode, revision: state.revision, keys };
}

function outcomeOf(h: HandshakeOutcome | RecordedHandshakeRow): HandshakeOutcome {
  return Object.fromEntries(OUTCOME_FIELDS.map((k) => [k, h[k]])) as unknown as HandshakeOutcome;
}
