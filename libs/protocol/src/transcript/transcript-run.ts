import { bytesToBase64 } from '../guest-log/log-text';
import { collectSession, type SessionHandshake } from '../session/guest-session';
import type { HandshakeOutcome } from '../types';
import { parseTranscript } from './transcript-parse';

/** DESIGN §3 output of `magicport transcript run`: a stable public contract. */
export interface TranscriptResult {
  /** The value returned for each `in` access, in order. */
  responses: number[];
  handshakes: HandshakeOutcome[];
  logLines: {
    text: string;
    bytesBase64: string;
    truncated: boolean;
    /** Lines the profile's rate limiter dropped right before this one. */
    droppedBefore: number;
  }[];
  /** Every line the rate limiter dropped in the run, including any after the last printed one. */
  logLinesDropped: number;
}

/**
 * Runs a transcript through one device-model instance; the end of the transcript stops it,
 * which closes any open handshake. Throws TranscriptError only for a malformed transcript:
 * whatever the guest did, a well-formed one runs.
 */
export function runTranscript(json: unknown): TranscriptResult {
  const transcript = parseTranscript(json);
  const blacklist = new Set(transcript.blacklist);
  const { session, handshakes, logLines, droppedLogLines } = collectSession({
    profile: transcript.profile,
    blacklist: (key) => blacklist.has(key),
    enforceBlacklist: transcript.enforceBlacklist,
    ...(transcript.idleGapMs === undefined ? {} : { idleGapMs: transcript.idleGapMs }),
  });
  const responses: number[] = [];
  let now = 0;
  for (const access of transcript.accesses) {
    if (access.t !== undefined) now = access.t;
    const response = session.access(access.op, access.port, access.size, access.value, now);
    if (access.op === 'in') responses.push(response);
  }
  session.stop(now);
  return {
    responses,
    handshakes: handshakes.map(handshakeOutcome),
    logLines: logLines.map((line) => ({
      text: line.text,
      bytesBase64: bytesToBase64(line.bytes),
      truncated: line.truncated,
      droppedBefore: line.droppedBefore.lines,
    })),
    logLinesDropped: droppedLogLines.length,
  };
}

/** A closed handshake's outcome: exactly the DESIGN §3 keys, in that order. */
export function handshakeOutcome(h: SessionHandshake): HandshakeOutcome {
  return {
    result: h.result,
    protocolVersion: h.protocolVersion,
    product: h.product,
    build: h.build,
    blacklisted: h.blacklisted,
    blacklistKey: h.blacklistKey,
    mask: h.mask,
    maskWrites: h.maskWrites,
    unplug: h.unplug,
    unplugApplied: h.unplugApplied,
    violations: h.violations,
  };
}
