/**
 * Linux's `xen_emul_unplug=` early parameter (`arch/x86/xen/platform-pci-unplug.c`,
 * `parse_xen_emul_unplug`). Bits 8 and 16 are Linux-internal and never reach the wire.
 */
export const XEN_UNPLUG_ALL_IDE_DISKS = 1;
export const XEN_UNPLUG_ALL_NICS = 2;
export const XEN_UNPLUG_AUX_IDE_DISKS = 4;
export const XEN_UNPLUG_ALL = 7;
export const XEN_UNPLUG_UNNECESSARY = 8;
export const XEN_UNPLUG_NEVER = 16;

/** The kernel tries the names in this order; the first match wins. */
const OPTIONS: ReadonlyArray<readonly [string, number]> = [
  ['all', XEN_UNPLUG_ALL],
  ['ide-disks', XEN_UNPLUG_ALL_IDE_DISKS],
  ['aux-ide-disks', XEN_UNPLUG_AUX_IDE_DISKS],
  ['nics', XEN_UNPLUG_ALL_NICS],
  ['unnecessary', XEN_UNPLUG_UNNECESSARY],
  ['never', XEN_UNPLUG_NEVER],
];

export interface XenEmulUnplug {
  /** OR of the matched options' bits (0 when the parameter is absent). */
  flags: number;
  /** The kernel's pr_warn text for each unrecognised token. */
  warnings: string[];
}

/**
 * Parses a `xen_emul_unplug=` value exactly as the kernel does:
 * - tokens split at ',' and matched with `strncmp(token, name, strlen(token))`, so a token
 *   matches the first name in list order it is a prefix of (`a` -> all, `n` -> nics,
 *   `ide` -> ide-disks, `ne` -> never) and is case-sensitive;
 * - an empty token is a prefix of everything and so means `all` (`nics,` -> 7, `=` -> 7);
 * - an unknown token is warned about and ignored; the warning prints the rest of the string
 *   from that token on, because the kernel never NUL-terminates tokens;
 * - `undefined` (parameter absent) and `null` (bare `xen_emul_unplug` with no `=`, which the
 *   kernel passes as a NULL argument) give 0.
 */
export function parseXenEmulUnplug(value: string | null | undefined): XenEmulUnplug {
  const result: XenEmulUnplug = { flags: 0, warnings: [] };
  if (value === null || value === undefined) return result;
  let start = 0;
  for (;;) {
    const comma = value.indexOf(',', start);
    const token = value.slice(start, comma < 0 ? undefined : comma);
    const match = OPTIONS.find(([name]) => name.startsWith(token));
    if (match) result.flags |= match[1];
    else {
      const rest = value.slice(start);
      result.warnings.push(`unrecognised option '${rest}' in parameter 'xen_emul_unplug'`);
    }
    if (comma < 0) return result;
    start = comma + 1;
  }
}
