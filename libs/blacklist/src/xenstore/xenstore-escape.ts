/**
 * xenstore's value escaping, as its command-line tools do it (xs_lib.c): `xenstore-ls` prints a
 * value with every byte outside printable ASCII, and the backslash, as `\xNN`; `xenstore-write`
 * reads `\a \b \f \n \r \t \v \\`, `\xN[N]`, octal `\N[N[N]]`, and `\c` for any other c as c.
 */

/** The value as `xenstore-ls` prints it between its quotes (UTF-8 bytes). */
export function sanitiseValue(value: string): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    out +=
      byte >= 0x20 && byte <= 0x7e && byte !== 0x5c
        ? String.fromCharCode(byte)
        : `\\x${byte.toString(16).padStart(2, '0')}`;
  }
  return out;
}

const SIMPLE: Readonly<Record<string, number>> = {
  a: 7,
  b: 8,
  f: 12,
  n: 10,
  r: 13,
  t: 9,
  v: 11,
};

/** The bytes an escaped value stands for, decoded as UTF-8 (a bad sequence becomes U+FFFD). */
export function unsanitiseValue(escaped: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < escaped.length;) {
    const c = String.fromCodePoint(escaped.codePointAt(i)!);
    i += c.length;
    if (c !== '\\') {
      bytes.push(...Buffer.from(c, 'utf8'));
      continue;
    }
    const next = escaped[i];
    if (next === undefined) {
      bytes.push(0x5c); // a trailing backslash stands for itself
    } else if (next === 'x' && /^[0-9a-f]/i.test(escaped.slice(i + 1, i + 2))) {
      const hex = /^[0-9a-f]{1,2}/i.exec(escaped.slice(i + 1))![0];
      bytes.push(parseInt(hex, 16));
      i += 1 + hex.length;
    } else if (/[0-7]/.test(next)) {
      const octal = /^[0-7]{1,3}/.exec(escaped.slice(i))![0];
      bytes.push(parseInt(octal, 8) & 0xff);
      i += octal.length;
    } else {
      bytes.push(
        ...Buffer.from(
          SIMPLE[next] !== undefined ? String.fromCharCode(SIMPLE[next]) : next,
          'utf8',
        ),
      );
      i += next.length;
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** A POSIX shell word for `text`: single-quoted, each `'` written as `'\''`. */
export function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

// eslint-disable-next-line no-control-regex -- control characters are what it escapes
const UNPRINTABLE = /[\\\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * `text` made safe to print on a terminal in an error message: control characters (C0, DEL,
 * C1, which holds the CSI that starts escape sequences) and bidirectional overrides as escapes,
 * a backslash doubled, cut to `max` characters.
 */
export function terminalSafe(text: string, max = 120): string {
  const cut = text.length > max ? `${text.slice(0, max)}...` : text;
  return cut.replace(UNPRINTABLE, (ch) =>
    ch === '\\' ? '\\\\' : `\\u{${ch.codePointAt(0)!.toString(16)}}`,
  );
}
