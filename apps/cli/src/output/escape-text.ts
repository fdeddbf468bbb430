/**
 * Control characters (C0, DEL, C1) and bidi overrides from input made visible as `\uXXXX`, so
 * that bytes echoed into a message cannot drive the user's terminal (clear it, retitle it, hide
 * text).
 */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

export function escapeForTerminal(text: string): string {
  return text.replace(UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** What a user typed (a flag value, a list entry), quoted and escaped for a message. */
export function quoted(text: string): string {
  return `"${escapeForTerminal(text)}"`;
}
