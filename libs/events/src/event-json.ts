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
      event.type === 'port.access'
        ? portAccess(event.data as PortAccessData)
        : guestLog(event.data as GuestLogData);
    if (head !== null && data !== null) return `${head}${data}}`;
  }
  return JSON.stringify(event);
}

/** Everything up to and including `"data":`, or null when a field is not of its type. */
function envelope(e: GuestEvent): string | null {
  if (!plain(e.id) || !plain(e.type) || !plain(e.time) || !plain(e.dm) || !plain(e.vm)) return null;
  if (typeof e.host !== 'string' || !finite(e.v, e.seq) || !finite(e.domid, e.boot)) return null;
  const host = plain(e.host) ? `"${e.host}"` : JSON.stringify(e.host);
  return `{"id":"${e.id}","type":"${e.type}","v":${e.v},"time":"${e.time}","host":${host},"dm":"${e.dm}","seq":${e.seq},"vm":"${e.vm}","domid":${e.domid},"boot":${e.boot},"data":`;
}

function portAccess(d: PortAccessData): string | null {
  if (!plain(d.op) || !finite(d.port, d.size) || !nullOrFinite(d.value, d.response)) return null;
  return `{"op":"${d.op}","port":${d.port},"size":${d.size},"value":${d.value},"response":${d.response}}`;
}

function guestLog(d: GuestLogData): string | null {
  if (typeof d.text !== 'string' || !plain(d.bytesBase64) || typeof d.truncated !== 'boolean')
    return null;
  if (!finite(d.droppedBefore, d.throttledMs) || !nullOrFinite(d.trigger, d.accessCount))
    return null;
  if (!plain(d.firstTime) || !plain(d.lastTime)) return null;
  if (d.handshakeId !== null && !plain(d.handshakeId)) return null;
  const handshake = d.handshakeId === null ? 'null' : `"${d.handshakeId}"`;
  return `{"text":${JSON.stringify(d.text)},"bytesBase64":"${d.bytesBase64}","truncated":${d.truncated},"trigger":${d.trigger},"droppedBefore":${d.droppedBefore},"throttledMs":${d.throttledMs},"accessCount":${d.accessCount},"firstTime":"${d.firstTime}","lastTime":"${d.lastTime}","handshakeId":${handshake}}`;
}

/** Ids, type names, times, UUIDs and base64: strings that JSON writes as they are. */
const PLAIN = /^[A-Za-z0-9 ._:#+/=-]*$/;

function plain(s: unknown): s is string {
  return typeof s === 'string' && PLAIN.test(s);
}

function finite(a: unknown, b: unknown): boolean {
  return Number.isFinite(a) && Number.isFinite(b);
}

function nullOrFinite(a: unknown, b: unknown): boolean {
  return (a === null || Number.isFinite(a)) && (b === null || Number.isFinite(b));
}
