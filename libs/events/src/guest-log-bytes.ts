/**
 * Guest log lines are raw bytes (guests send anything, not only UTF-8). Events carry the bytes
 * losslessly as standard padded base64 and, beside them, a display string that is for people only:
 * - bytes are decoded as UTF-8; each invalid sequence becomes U+FFFD (WHATWG decoding, the
 *   same as TextDecoder), so text alone cannot tell a real U+FFFD from a bad byte;
 * - C0 control bytes other than TAB, and DEL, become their Unicode control pictures
 *   (NUL -> U+2400, CR -> U+240D, DEL -> U+2421), so a stray CR or NUL cannot rewrite a terminal
 *   line or cut the string short.
 */
const utf8 = new TextDecoder('utf-8', { fatal: false });
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f]/g;

/** No character CONTROL replaces: an anchored test is about twice as fast as replace's search. */
// eslint-disable-next-line no-control-regex
const NO_CONTROL = /^[\u0009\u0020-\u007e\u0080-\uffff]*$/;

export function guestLogText(bytes: Uint8Array): string {
  const text = utf8.decode(bytes);
  return NO_CONTROL.test(text) ? text : text.replace(CONTROL, controlPicture);
}

function controlPicture(char: string): string {
  const code = char.charCodeAt(0);
  return String.fromCharCode(code === 0x7f ? 0x2421 : 0x2400 + code);
}

export function encodeLogBytes(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/**
 * The bytes of canonical padded base64, or null. Node's decoder skips junk and ignores
 * non-zero pad bits, so the re-encoding check is what makes one byte string have one form.
 */
export function decodeLogBytes(base64: string): Buffer | null {
  const bytes = Buffer.from(base64, 'base64');
  return bytes.toString('base64') === base64 ? bytes : null;
}
