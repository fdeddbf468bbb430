export * from './constants';
export * from './types';
export * from './drivers';
export * from './device-model/blacklist-key';
export * from './device-model/create-device-model';
export {
  NOTHING_BLACKLISTED,
  type DeviceModel,
  type DeviceModelOptions,
} from './device-model/device-model';
export { Effect, type AccessEffect } from './device-model/effect';
export * from './guest-log/log-assembler';
export * from './guest-log/log-rate-limit';
export { bytesToBase64, logLineText } from './guest-log/log-text';
export type { ClosedHandshake, CloseReason, HandshakePhase } from './handshake/handshake-state';
export { MAX_MASK_WRITES } from './handshake/handshake-state';
export { DEFAULT_IDLE_GAP_MS } from './handshake/handshake-tracker';
export { describeMask, unplugDevices } from './handshake/unplug-mask';
export { VIOLATION_CODES, type ViolationCode } from './handshake/violations';
export { describeAccess } from './replay/access-meaning';
export * from './replay/log-line-accesses';
export * from './replay/recorded-accesses';
export * from './replay/replay';
export * from './session/guest-session';
export * from './transcript/transcript-parse';
export * from './transcript/transcript-run';
