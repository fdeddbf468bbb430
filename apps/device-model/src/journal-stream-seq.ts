/**
 * Which stream a journaled event belongs to and its seq, read from the record's bytes without
 * parsing its JSON. Recovery reads every undelivered record once at startup: parsing a large
 * backlog (a long outage, a whole fleet's host) was most of the agent's start time.
 *
 * The agent writes events with `eventJson`, whose envelope has `"dm":"<dm>","seq":<n>` before
 * `"data":`. The byte sequence `"dm":"` can only be a key (a quote inside a JSON string is
 * escaped), so the first one before `"data":` is the event's own. A record that does not have
 * that shape (another writer's field order, an escaped dm) is parsed as JSON, as before.
 */
const DM_KEY = Buffer.from('"dm":"');
const SEQ_KEY = Buffer.from('","seq":');
const DATA_KEY = Buffer.from('"data":');
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

export interface StreamSeq {
  dm: string;
  seq: number;
}

/** Counts of how records were read (what the startup test and benchmark report). */
export interface StreamSeqReads {
  scanned: number;
  parsed: number;
}

export function streamSeqOf(value: Buffer, reads?: StreamSeqReads): StreamSeq {
  const fast = scanStreamSeq(value);
  if (fast) {
    if (reads) reads.scanned++;
    return fast;
  }
  if (reads) reads.parsed++;
  const { dm, seq } = JSON.parse(value.toString('utf8')) as StreamSeq;
  return { dm, seq };
}

function scanStreamSeq(value: Buffer): StreamSeq | null {
  const dmAt = value.indexOf(DM_KEY);
  if (dmAt < 0) return null;
  const dataAt = value.indexOf(DATA_KEY);
  if (dataAt >= 0 && dataAt < dmAt) return null;
  const start = dmAt + DM_KEY.length;
  let end = start;
  while (end < value.length && value[end] !== QUOTE) {
    if (value[end] === BACKSLASH) return null;
    end++;
  }
  if (
    end + SEQ_KEY.length > value.length ||
    value.compare(SEQ_KEY, 0, SEQ_KEY.length, end, end + SEQ_KEY.length) !== 0
  )
    return null;
  let at = end + SEQ_KEY.length;
  let seq = 0;
  const digitsFrom = at;
  while (at < value.length && value[at]! >= 0x30 && value[at]! <= 0x39 && at - digitsFrom < 16) {
    seq = seq * 10 + (value[at]! - 0x30);
    at++;
  }
  // A number ends the value: `,` or `}` next, and it is a plain non-negative integer.
  if (at === digitsFrom || (value[at] !== 0x2c && value[at] !== 0x7d)) return null;
  if (at - digitsFrom > 1 && value[digitsFrom] === 0x30) return null;
  return { dm: value.toString('utf8', start, end), seq };
}
