import { gplpvDriver, inSequence, winPvDriver } from '@magicport/protocol';
import { describeMatrix, type Expected } from './matrix-harness';

// Every cell below is written by hand from the protocol notes (§2 device models, §3.3/§3.4
// drivers, §5 gotchas 2, 3, 5, 7, 13) and DESIGN §2/§4. Columns: [not listed, not listed +
// enforcement, listed, listed + enforcement].
// win-pv sends product 0xffff (blacklistable by spec and qemu-traditional), logs its banner
// before any magic read, and unplugs even when told it is blacklisted: `blacklist-ignored`,
// applied unless the spec profile enforces. GPLPV (product 2) honours the answer.

const EXPERIMENTAL = { number: 0xffff, name: 'experimental' };
const WIN_PV_KEY = '/mh/driver-blacklist/experimental/590080';

const winPv = (
  result: Expected['result'],
  maskWrites: number[],
  mask: number,
  violations: string[],
): Expected => ({
  result,
  protocolVersion: 1,
  product: EXPERIMENTAL,
  build: 590080,
  blacklisted: false,
  blacklistKey: null,
  mask,
  maskWrites,
  unplugApplied: true,
  violations,
});
const winPvIgnored = (
  maskWrites: number[],
  mask: number,
  applied: boolean,
  violations: string[],
) => ({
  ...winPv('blacklist-ignored', maskWrites, mask, violations),
  blacklisted: true,
  blacklistKey: WIN_PV_KEY,
  unplugApplied: applied,
});

const BOOT = ['log-before-magic'];
const BOOT_LISTED = ['log-before-magic', 'mask-while-blacklisted'];

const W11 = [winPv('unplugged', [9, 2], 11, BOOT)];
const W11_IGNORED = [winPvIgnored([9, 2], 11, true, BOOT_LISTED)];
const W11_ENFORCED = [winPvIgnored([9, 2], 11, false, BOOT_LISTED)];
const W3 = [winPv('unplugged', [1, 2], 3, BOOT)];
const W3_IGNORED = [winPvIgnored([1, 2], 3, true, BOOT_LISTED)];
const W3_ENFORCED = [winPvIgnored([1, 2], 3, false, BOOT_LISTED)];
const W6 = [winPv('unplugged', [4, 2], 6, BOOT)];
const W6_IGNORED = [winPvIgnored([4, 2], 6, true, BOOT_LISTED)];
const W6_ENFORCED = [winPvIgnored([4, 2], 6, false, BOOT_LISTED)];
const W2 = [winPv('unplugged', [2], 2, BOOT)];
const W2_IGNORED = [winPvIgnored([2], 2, true, BOOT_LISTED)];
const W2_ENFORCED = [winPvIgnored([2], 2, false, BOOT_LISTED)];
// Resume: no banner, so no log-before-magic.
const R11 = [winPv('unplugged', [9, 2], 11, [])];
const R11_IGNORED = [winPvIgnored([9, 2], 11, true, ['mask-while-blacklisted'])];
const R11_ENFORCED = [winPvIgnored([9, 2], 11, false, ['mask-while-blacklisted'])];
// Nothing requested: a clean step-5 re-check without a mask.
const W_NONE: Expected[] = [{ ...winPv('no-unplug', [], 0, BOOT), unplugApplied: false }];
const W_NONE_LISTED: Expected[] = [
  {
    ...winPv('blacklisted', [], 0, BOOT),
    blacklisted: true,
    blacklistKey: WIN_PV_KEY,
    unplugApplied: false,
  },
];

/**
 * qemu-traditional's blacklist is sticky: after the boot's build write was blacklisted, the
 * resume's first magic read already answers 0xd249, so win-pv skips version, product and build
 * and unplugs straight away. The spec profile answers each handshake afresh.
 */
const R11_STICKY: Expected = {
  result: 'blacklist-ignored',
  protocolVersion: null,
  product: null,
  build: null,
  blacklisted: true,
  blacklistKey: WIN_PV_KEY,
  mask: 11,
  maskWrites: [9, 2],
  unplugApplied: true,
  violations: ['mask-without-version', 'mask-while-blacklisted'],
};
const LIFE = [...W11, ...R11];
const LIFE_IGNORED = [...W11_IGNORED, ...R11_IGNORED];
const LIFE_ENFORCED = [...W11_ENFORCED, ...R11_ENFORCED];
const LIFE_STICKY = [...W11_IGNORED, R11_STICKY];

describeMatrix('matrix: win-pv xenbus', [
  {
    name: 'win-pv boot, 2026 release, disks and NICs',
    run: () => winPvDriver(),
    listed: [WIN_PV_KEY],
    cells: {
      spec: [W11, W11, W11_IGNORED, W11_ENFORCED],
      'qemu-traditional': [W11, W11, W11_IGNORED, W11_IGNORED],
      'qemu-upstream': [W11, W11, W11, W11],
    },
  },
  {
    name: 'win-pv boot, pre-2026 release (disks 0x0001)',
    run: () => winPvDriver({ release: 'pre-2026' }),
    listed: [WIN_PV_KEY],
    cells: {
      spec: [W3, W3, W3_IGNORED, W3_ENFORCED],
      'qemu-traditional': [W3, W3, W3_IGNORED, W3_IGNORED],
      'qemu-upstream': [W3, W3, W3, W3],
    },
  },
  {
    name: 'win-pv boot, XEN:BOOT_EMULATED=TRUE (AUX disks)',
    run: () => winPvDriver({ bootEmulated: true }),
    listed: [WIN_PV_KEY],
    cells: {
      spec: [W6, W6, W6_IGNORED, W6_ENFORCED],
      'qemu-traditional': [W6, W6, W6_IGNORED, W6_IGNORED],
      'qemu-upstream': [W6, W6, W6, W6],
    },
  },
  {
    name: 'win-pv boot, NICs only',
    run: () => winPvDriver({ disks: false }),
    listed: [WIN_PV_KEY],
    cells: {
      spec: [W2, W2, W2_IGNORED, W2_ENFORCED],
      'qemu-traditional': [W2, W2, W2_IGNORED, W2_IGNORED],
      'qemu-upstream': [W2, W2, W2, W2],
    },
  },
  {
    name: 'win-pv boot, nothing requested',
    run: () => winPvDriver({ disks: false, nics: false }),
    listed: [WIN_PV_KEY],
    cells: {
      spec: [W_NONE, W_NONE, W_NONE_LISTED, W_NONE_LISTED],
      'qemu-traditional': [W_NONE, W_NONE, W_NONE_LISTED, W_NONE_LISTED],
      'qemu-upstream': [W_NONE, W_NONE, W_NONE, W_NONE],
    },
  },
  {
    name: 'win-pv boot, then resume on the same device model',
    run: () => inSequence(winPvDriver(), winPvDriver({ phase: 'resume' })),
    listed: [WIN_PV_KEY],
    cells: {
      spec: [LIFE, LIFE, LIFE_IGNORED, LIFE_ENFORCED],
      'qemu-traditional': [LIFE, LIFE, LIFE_STICKY, LIFE_STICKY],
      'qemu-upstream': [LIFE, LIFE, LIFE, LIFE],
    },
  },
  {
    name: 'win-pv resume (no banner)',
    run: () => winPvDriver({ phase: 'resume' }),
    listed: [WIN_PV_KEY],
    cells: {
      spec: [R11, R11, R11_IGNORED, R11_ENFORCED],
      'qemu-traditional': [R11, R11, R11_IGNORED, R11_IGNORED],
      'qemu-upstream': [R11, R11, R11, R11],
    },
  },
]);

const GPLPV = { number: 2, name: 'gplpv-windows' };
const GPLPV_KEY = '/mh/driver-blacklist/gplpv-windows/1';

const gplpv = (result: Expected['result'], mask: number): Expected => ({
  result,
  protocolVersion: 1,
  product: GPLPV,
  build: 1,
  blacklisted: false,
  blacklistKey: null,
  mask,
  maskWrites: [mask],
  unplugApplied: true,
  violations: [],
});
const G3 = [gplpv('unplugged', 3)];
const G0 = [gplpv('no-unplug', 0)];
const G_BLACKLISTED: Expected[] = [
  {
    result: 'blacklisted',
    protocolVersion: 1,
    product: GPLPV,
    build: 1,
    blacklisted: true,
    blacklistKey: GPLPV_KEY,
    mask: 0,
    maskWrites: [],
    unplugApplied: false,
    violations: [],
  },
];
/**
 * Resume rewrites the mask alone on a device model that has seen no magic read since it
 * started, then logs "disabled qemu devices 03": nothing to look up, so never blacklisted.
 */
const G_RESUME: Expected[] = [
  {
    result: 'unplugged',
    protocolVersion: null,
    product: null,
    build: null,
    blacklisted: false,
    blacklistKey: null,
    mask: 3,
    maskWrites: [3],
    unplugApplied: true,
    violations: ['mask-without-magic', 'log-before-magic'],
  },
];

describeMatrix('matrix: GPLPV', [
  {
    name: 'gplpv boot, qemu_hide_flags 1 and 2',
    run: () => gplpvDriver(),
    listed: [GPLPV_KEY],
    cells: {
      spec: [G3, G3, G_BLACKLISTED, G_BLACKLISTED],
      'qemu-traditional': [G3, G3, G_BLACKLISTED, G_BLACKLISTED],
      'qemu-upstream': [G3, G3, G3, G3],
    },
  },
  {
    name: 'gplpv boot, no qemu_hide_flags (mask 0)',
    run: () => gplpvDriver({ qemuHideFlags: [] }),
    listed: [GPLPV_KEY],
    cells: {
      spec: [G0, G0, G_BLACKLISTED, G_BLACKLISTED],
      'qemu-traditional': [G0, G0, G_BLACKLISTED, G_BLACKLISTED],
      'qemu-upstream': [G0, G0, G0, G0],
    },
  },
  {
    name: 'gplpv resume: mask only',
    run: () => gplpvDriver({ phase: 'resume' }),
    listed: [GPLPV_KEY],
    cells: {
      spec: [G_RESUME, G_RESUME, G_RESUME, G_RESUME],
      'qemu-traditional': [G_RESUME, G_RESUME, G_RESUME, G_RESUME],
      'qemu-upstream': [G_RESUME, G_RESUME, G_RESUME, G_RESUME],
    },
  },
  {
    name: 'gplpv not hiding qemu devices: no access, no handshake',
    run: () => gplpvDriver({ hideQemu: false }),
    listed: [GPLPV_KEY],
    cells: {
      spec: [[], [], [], []],
      'qemu-traditional': [[], [], [], []],
      'qemu-upstream': [[], [], [], []],
    },
  },
]);
