import { MAGIC, MAGIC_BLACKLISTED, PFFLAG_ROM_LOCK, productName } from '../constants';
import { Effect, type AccessEffect } from '../device-model/effect';
import { describeMask } from '../handshake/unplug-mask';
import type { Op } from '../types';

/** The access as a person reads it in a timeline, e.g. "product write: linux (3)". */
export function describeAccess(
  op: Op,
  port: number,
  size: number,
  response: number,
  dm: AccessEffect,
  recheck: boolean,
): string {
  const v = dm.effectValue;
  switch (dm.effect) {
    case Effect.Outside:
      return `${op} ${hex(port, 2)} (${size} byte): outside the platform device`;
    case Effect.FlagsRead:
      return `platform flags read: ${hex(response, 2)} (${romState(response)})`;
    case Effect.FlagsWrite:
      return `platform flags write: ${hex(v, 2)} (${romState(v)})`;
    case Effect.MagicRead:
      return `${recheck ? 'magic re-check (step 5)' : 'magic read'}: ${hex(response, 4)}${magicNote(response)}`;
    case Effect.VersionRead:
      return `protocol version read: ${response}`;
    case Effect.ProductWrite:
      return `product write: ${productName(v) ?? 'unregistered'} (${v})`;
    case Effect.BuildWrite:
      return `build write: ${v}${buildNote(dm)}`;
    case Effect.MaskWrite:
      return `unplug mask write: ${hex(v, 4)} (${describeMask(v)})${dm.applied ? '' : ', not applied'}`;
    case Effect.LogByte:
      return `log byte ${logByte(v)}${port === 0x11 ? ' (high byte of a 2-byte write at 0x11)' : ''}`;
    case Effect.UnknownPort:
      return `${accessName(op, size)} of unknown port ${hex(port, 2)}`;
    case Effect.UnexpectedWidth:
      return `unexpected ${accessName(op, size)} of ${hex(port, 2)}`;
  }
}

function accessName(op: Op, size: number): string {
  return `${size}-byte ${op === 'in' ? 'read' : 'write'}`;
}

function magicNote(response: number): string {
  if (response === MAGIC) return '';
  if (response === MAGIC_BLACKLISTED) return ' (blacklisted)';
  return ' (mismatch: no platform device?)';
}

function buildNote(dm: AccessEffect): string {
  if (!dm.applied) return ' (ignored by the device model)';
  return dm.blacklistKey === null ? '' : ` (looked up ${dm.blacklistKey})`;
}

function romState(flags: number): string {
  return flags & PFFLAG_ROM_LOCK ? 'ROM read-only' : 'ROM writable';
}

// A log flood is most of a long timeline: each byte's text is made once, not per access.
const LOG_BYTE_TEXT: readonly string[] = Array.from({ length: 256 }, (_, byte) => {
  if (byte === 0x0a) return '\\n';
  if (byte >= 0x20 && byte < 0x7f) return JSON.stringify(String.fromCharCode(byte));
  return hex(byte, 2);
});

function logByte(byte: number): string {
  return LOG_BYTE_TEXT[byte] ?? hex(byte, 2);
}

export function hex(value: number, digits: number): string {
  return `0x${(value >>> 0).toString(16).padStart(digits, '0')}`;
}
