import {
  guestLogAttribution,
  type EventOf,
  type GuestEvent,
  type MagicportEvent,
} from '@magicport/events';
import { rawRow } from './raw-row';
import type { RecordSource } from './raw-tables';
import { toClickHouseTime } from './raw-time';

/**
 * `JSON.stringify(rawRow(event, source))`, written by hand for the two kinds that make nearly
 * all of the volume (port.access, guest.log): the client's JSON.stringify of row objects is
 * about half of the insert path's cost. Validated events only, as for rawRow: dm and vm are
 * pattern-checked by the schemas, so they are written without escaping; free text (host, log
 * text, topic) goes through JSON.stringify.
 */
export function rawRowJson(event: MagicportEvent, source: RecordSource): string {
  if (event.type === 'port.access') return portAccessJson(event, source);
  if (event.type === 'guest.log') return guestLogJson(event, source);
  return JSON.stringify(rawRow(event, source));
}

/** The envelope of one stream (dm), written once: `{"dm":"…","seq":` and `,"vm":…,"time":"`. */
interface StreamHead {
  vm: string;
  domid: number;
  boot: number;
  host: string;
  start: string;
  middle: string;
}

const heads = new Map<string, StreamHead>();
const MAX_HEADS = 65_536;

function streamHead(e: GuestEvent): StreamHead {
  const head = heads.get(e.dm);
  if (
    head !== undefined &&
    head.vm === e.vm &&
    head.domid === e.domid &&
    head.boot === e.boot &&
    head.host === e.host
  ) {
    return head;
  }
  const made: StreamHead = {
    vm: e.vm,
    domid: e.domid,
    boot: e.boot,
    host: e.host,
    start: `{"dm":"${e.dm}","seq":`,
    middle: `,"vm":"${e.vm}","domid":${e.domid},"boot":${e.boot},"host":${JSON.stringify(e.host)},"time":"`,
  };
  if (heads.size >= MAX_HEADS) heads.clear();
  heads.set(e.dm, made);
  return made;
}

let lastTopic = '';
let lastTopicJson = '""';

/** `,"_topic":…,"_partition":…,"_offset":"…"}` */
function sourceTail(s: RecordSource): string {
  if (s.topic !== lastTopic) {
    lastTopic = s.topic;
    lastTopicJson = JSON.stringify(s.topic);
  }
  return `,"_topic":${lastTopicJson},"_partition":${s.partition},"_offset":${JSON.stringify(s.offset)}}`;
}

function portAccessJson(e: EventOf<'port.access'>, s: RecordSource): string {
  const h = streamHead(e);
  const d = e.data;
  return (
    `${h.start}${e.seq}${h.middle}${toClickHouseTime(e.time)}","op":"${d.op}","port":${d.port},` +
    `"size":${d.size},"value":${d.value},"response":${d.response}${sourceTail(s)}`
  );
}

function guestLogJson(e: EventOf<'guest.log'>, s: RecordSource): string {
  const h = streamHead(e);
  const d = e.data;
  const handshake = d.handshakeId === null ? 'null' : JSON.stringify(d.handshakeId);
  return (
    `${h.start}${e.seq}${h.middle}${toClickHouseTime(e.time)}","text":${JSON.stringify(d.text)},` +
    `"bytes_base64":"${d.bytesBase64}","truncated":${d.truncated},"trigger":${d.trigger},` +
    `"dropped_before":${d.droppedBefore},"throttled_ms":${d.throttledMs},` +
    `"access_count":${d.accessCount},"first_time":"${toClickHouseTime(d.firstTime)}",` +
    `"last_time":"${toClickHouseTime(d.lastTime)}","handshake_id":${handshake},` +
    // A literal of the schema ('guest' | 'unattributed'): nothing to escape.
    `"attribution":"${guestLogAttribution(d)}"${sourceTail(s)}`
  );
}
