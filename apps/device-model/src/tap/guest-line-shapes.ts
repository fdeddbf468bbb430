/**
 * The shapes of the lines guest drivers write to the platform log port (0x12), as positive
 * evidence that a line of a device-model log is the guest's. Only Windows drivers log there:
 * Linux never writes 0x12, FreeBSD and OpenBSD use 0xE9 or nothing.
 *
 * - win-pv (xen.sys and the drivers whose output it captures): `<project>|<function>: <text>`,
 *   projects XEN, XENBUS, XENFILT, XENVBD, XENVIF, XENNET, XENIFACE, XENCONS, XENHID ... (the
 *   log disposition keeps only messages starting with "xen" in free builds, in either case);
 *   and the unplug messages of unplug.c, which have no project prefix.
 * - GPLPV (xenpci_dbgprint.c): every line starts with the guest's time in decimal milliseconds
 *   since 1601-01-01 and ": ", e.g. `13390000000000: XenPCI --> DriverEntry`.
 */
const WIN_PV = /^xen[a-z]{0,12}\|[A-Za-z_]\w{0,63}: /i;
const WIN_PV_UNPLUG =
  /^UNPLUG: (?:PRE-AMBLE \(DRIVERS (?:NOT )?BLACKLISTED\)|DISKS|AUX DISKS|NICS)$/;
const GPLPV = /^(\d{13,14}): \S/;

/** 2000-01-01 and 2100-01-01 in milliseconds since 1601-01-01: the GPLPV prefixes we believe. */
const MS_1601_TO_1970 = 11_644_473_600_000;
const GPLPV_FROM = Date.UTC(2000, 0, 1) + MS_1601_TO_1970;
const GPLPV_TO = Date.UTC(2100, 0, 1) + MS_1601_TO_1970;

export type GuestDriverShape = 'win-pv' | 'gplpv';

/** Which guest driver's line shape `line` has, if any. */
export function guestDriverShape(line: string): GuestDriverShape | null {
  if (WIN_PV.test(line) || WIN_PV_UNPLUG.test(line)) return 'win-pv';
  const gplpv = GPLPV.exec(line);
  if (gplpv) {
    const ms = Number(gplpv[1]);
    if (ms >= GPLPV_FROM && ms < GPLPV_TO) return 'gplpv';
  }
  return null;
}
