const decoder = new TextDecoder('utf-8', { fatal: false });

/**
 * What the reference prints for a line: it NUL-terminates the buffer and prints it as a C
 * string, so a stored NUL ends the text. Bytes are shown as UTF-8, invalid sequences as U+FFFD;
 * the raw bytes stay available next to the text.
 */
export function logLineText(bytes: Uint8Array): string {
  const nul = bytes.indexOf(0);
  return decoder.decode(nul < 0 ? bytes : bytes.subarray(0, nul));
}

/** Base64 of raw bytes without Node's Buffer (the protocol library has no Node dependency). */
export function bytesToBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x2000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x2000));
  }
  return btoa(binary);
}
