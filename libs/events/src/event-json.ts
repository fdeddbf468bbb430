import type { GuestEvent, MagicportEvent } from './envelope';
import type { GuestLogData, PortAccessData } from './guest-payloads';

/**
 * The JSON text of an event, the same string `JSON.stringify(event)` gives for an event built
 * by the stamper (fields in envelope order). The two types that make nearly all of the agent's
 * volume are written out by hand: `JSON.stringify` walks each object's shape generically and
 * costs about twice as much, and the agent encodes every event it records, on the guest's
 * thread. Any other type, and any event whose fields are not what its type says (a string that
 * is not one, a number that is not finite), goes to `JSON.stringify`.
 */
export function eventJson(event: MagicportEvent): string {
  if (event.type === 'port.access' || event.type === 'guest.log') {
    const head = envelope(event);
    const data =
      head === null
        ? null
        : event.type === 'port.access'
          ? portAccess(event.data as PortAccessData)
          : guestLog(event.data as GuestLogData, event.time);
    if (head !== null && data !== null) return `${head}${data}}`;
  }
  return JSON.stringify(event);
}

/**
 * The envelope's parts that stay the same for a whole stream (host, dm, vm, domid, boot), written
 * once per stream: checking and quoting them for every event was a third of the envelope's cost.
 */
interface StreamHead {
  host: string;
  vm: string;
  domid: number;
  boot: number;
  /** `","host":…,"dm":"…","seq":` */
  middle: string;
  /** `,"vm":"…","domid":…,"boot":…,"data":` */
  tail: string;
}

/** Heads by dm; emptied when it grows past MAX_HEADS so a long-running agent does not keep them all. */
const heads = new Map<string, StreamHead>();
const MAX_HEADS = 65_536;

function streamHead(e: GuestEvent): StreamHead | null {
  const head = heads.get(e.dm);
  // Strings compare by content when not the same string, so a hit is always for equal values.
  if (
    head !== undefined &&
    head.host === e.host &&
    head.vm === e.vm &&
    head.domid === e.domid &&
    head.boot === e.boot
  )
    return head;
  const { host, dm, vm, domid, boot } = e;
  if (typeof host !== 'string' || !plain(dm) || !plain(vm) || !finite(domid, boot)) return null;
  const made: StreamHead = {
    host,
    vm,
    domid,
    boot,
    middle: `","host":${JSON.stringify(host)},"dm":"${dm}","seq":`,
    tail: `,"vm":"${vm}","domid":${domid},"boot":${boot},"data":`,
  };
  if (heads.size >= MAX_HEADS) heads.clear();
  heads.set(dm, made);
  return made;
}

/** Everything up to and including `"data":`, or null when a field is not of its type. */
function envelope(e: GuestEvent): string | null {
  const head = streamHead(e);
  if (head === null || !plain(e.id) || !plain(e.time) || !finite(e.v, e.seq)) return null;
  // e.type is one of the two literals eventJson checked.
  return `{"id":"${e.id}","type":"${e.type}","v":${e.v},"time":"${e.time}${head.middle}${e.seq}${head.tail}`;
}

function portAccess(d: PortAccessData): string | null {
  if (!plain(d.op) || !finite(d.port, d.size) || !nullOrFinite(d.value, d.response)) return null;
  return `{"op":"${d.op}","port":${d.port},"size":${d.size},"value":${d.value},"response":${d.response}}`;
}

/** `time` is the event's time, already checked by `envelope`. */
function guestLog(d: GuestLogData, time: string): string | null {
  if (typeof d.text !== 'string' || !plain(d.bytesBase64) || typeof d.truncated !== 'boolean')
    return null;
  if (!finite(d.droppedBefore, d.throttledMs) || !nullOrFinite(d.trigger, d.accessCount))
    return null;
  // The line's last time is nearly always the event's, and often its first: equal strings (the
  // same one, when toEventTime returned its memo) need no second check.
  if (d.lastTime !== time && !plain(d.lastTime)) return null;
  if (d.firstTime !== d.lastTime && d.firstTime !== time && !plain(d.firstTime)) return null;
  if (d.handshakeId !== null && !plain(d.handshakeId)) return null;
  const handshake = d.handshakeId === null ? 'null' : `"${d.handshakeId}"`;
  // Optional: JSON.stringify leaves out a key whose value is undefined, and so does this.
  let attribution = '';
  if (d.attribution !== undefined) {
    if (!plain(d.attribution)) return null;
    attribution = `,"attribution":"${d.attribution}"`;
  }
  return `{"text":${JSON.stringify(d.text)},"bytesBase64":"${d.bytesBase64}","truncated":${d.truncated},"trigger":${d.trigger},"droppedBefore":${d.droppedBefore},"throttledMs":${d.throttledMs},"accessCount":${d.accessCount},"firstTime":"${d.firstTime}","lastTime":"${d.lastTime}","handshakeId":${handshake}${attribution}}`;
}

/**
 * Printable ASCII but `"` and `\`: what JSON writes as it is (ids, times, UUIDs, base64). Three
 * ranges test about a quarter faster than the six of a letters-digits-punctuation class, which
 * counts on long base64 strings.
 */
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

function plain(s: unknown): s is string {
  return typeof s === 'string' && PLAIN.test(s);
}

function finite(a: unknown, b: unknown): boolean {
  return Number.isFinite(a) && Number.isFinite(b);
}

function nullOrFinite(a: unknown, b: unknown): boolean {
  return (a === null || Number.isFinite(a)) && (b === null || Number.isFinite(b));
}
