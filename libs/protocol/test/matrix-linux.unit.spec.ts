import { inSequence, linuxDriver, rombiosPost, unmodifiedDriver } from '@magicport/protocol';
import { describeMatrix, type Expected } from './matrix-harness';

// Every cell below is written by hand from the protocol notes (§2 device models, §3.1/§3.2
// drivers, §5 gotchas 2-4) and DESIGN §2/§4. Columns: [not listed, not listed + enforcement,
// listed, listed + enforcement]. Linux honours a blacklist answer (no mask); qemu-traditional
// cannot blacklist product 3 (its table has only 1, 2 and 0xffff); upstream never blacklists;
// enforcement is a spec-profile setting.

const LINUX = { number: 3, name: 'linux' };
const LINUX_KEY = '/mh/driver-blacklist/linux/1';

const linuxUnplugged = (mask: number): Expected => ({
  result: 'unplugged',
  protocolVersion: 1,
  product: LINUX,
  build: 1,
  blacklisted: false,
  blacklistKey: null,
  mask,
  maskWrites: [mask],
  unplugApplied: true,
  violations: [],
});
const LINUX_3 = linuxUnplugged(3);
const LINUX_7 = linuxUnplugged(7);
const LINUX_4 = linuxUnplugged(4);
const LINUX_BLACKLISTED: Expected = {
  result: 'blacklisted',
  protocolVersion: 1,
  product: LINUX,
  build: 1,
  blacklisted: true,
  blacklistKey: LINUX_KEY,
  mask: 0,
  maskWrites: [],
  unplugApplied: false,
  violations: [],
};
/** `unnecessary`: a clean handshake that stops before the mask (DESIGN §4's own example). */
const LINUX_UNNECESSARY: Expected = {
  result: 'no-unplug',
  protocolVersion: 1,
  product: LINUX,
  build: 1,
  blacklisted: false,
  blacklistKey: null,
  mask: 0,
  maskWrites: [],
  unplugApplied: false,
  violations: [],
};
/** A kernel without frontends writes mask 0: the device model takes the write, unplugs nothing. */
const LINUX_ZERO_MASK: Expected = { ...LINUX_UNNECESSARY, maskWrites: [0], unplugApplied: true };

const EXPERIMENTAL = { number: 0xffff, name: 'experimental' };
const BUILD_2_6_32 = 33955840; // KERNEL_VERSION(2,6,32) << 8 = 0x02062000
const UNMODIFIED_KEY = '/mh/driver-blacklist/experimental/33955840';

const unmodifiedCompleted = (result: Expected['result'], mask: number): Expected => ({
  result,
  protocolVersion: 1,
  product: EXPERIMENTAL,
  build: BUILD_2_6_32,
  blacklisted: false,
  blacklistKey: null,
  mask,
  maskWrites: [mask],
  unplugApplied: true,
  violations: [],
});
const UNMODIFIED_7 = unmodifiedCompleted('unplugged', 7);
const UNMODIFIED_2 = unmodifiedCompleted('unplugged', 2);
const UNMODIFIED_0 = unmodifiedCompleted('no-unplug', 0);
const UNMODIFIED_BLACKLISTED: Expected = {
  result: 'blacklisted',
  protocolVersion: 1,
  product: EXPERIMENTAL,
  build: BUILD_2_6_32,
  blacklisted: true,
  blacklistKey: UNMODIFIED_KEY,
  mask: 0,
  maskWrites: [],
  unplugApplied: false,
  violations: [],
};

const L3 = [LINUX_3];
const LBL = [LINUX_BLACKLISTED];
const U7 = [UNMODIFIED_7];
const UBL = [UNMODIFIED_BLACKLISTED];

describeMatrix('matrix: Linux', [
  {
    name: 'linux, no option, frontends built',
    run: () => linuxDriver(),
    listed: [LINUX_KEY],
    cells: {
      spec: [L3, L3, LBL, LBL],
      'qemu-traditional': [L3, L3, L3, L3],
      'qemu-upstream': [L3, L3, L3, L3],
    },
  },
  {
    name: 'ROMBIOS POST then linux: the flags writes open no handshake',
    run: () => inSequence(rombiosPost(), linuxDriver()),
    listed: [LINUX_KEY],
    cells: {
      spec: [L3, L3, LBL, LBL],
      'qemu-traditional': [L3, L3, L3, L3],
      'qemu-upstream': [L3, L3, L3, L3],
    },
  },
  {
    name: 'linux boot, then resume on the same device model',
    run: () => inSequence(linuxDriver(), linuxDriver()),
    listed: [LINUX_KEY],
    cells: {
      spec: [
        [LINUX_3, LINUX_3],
        [LINUX_3, LINUX_3],
        [LINUX_BLACKLISTED, LINUX_BLACKLISTED],
        [LINUX_BLACKLISTED, LINUX_BLACKLISTED],
      ],
      'qemu-traditional': [
        [LINUX_3, LINUX_3],
        [LINUX_3, LINUX_3],
        [LINUX_3, LINUX_3],
        [LINUX_3, LINUX_3],
      ],
      'qemu-upstream': [
        [LINUX_3, LINUX_3],
        [LINUX_3, LINUX_3],
        [LINUX_3, LINUX_3],
        [LINUX_3, LINUX_3],
      ],
    },
  },
  {
    name: 'linux xen_emul_unplug=all',
    run: () => linuxDriver({ xenEmulUnplug: 'all' }),
    listed: [LINUX_KEY],
    cells: {
      spec: [[LINUX_7], [LINUX_7], LBL, LBL],
      'qemu-traditional': [[LINUX_7], [LINUX_7], [LINUX_7], [LINUX_7]],
      'qemu-upstream': [[LINUX_7], [LINUX_7], [LINUX_7], [LINUX_7]],
    },
  },
  {
    name: 'linux xen_emul_unplug=aux-ide-disks',
    run: () => linuxDriver({ xenEmulUnplug: 'aux-ide-disks' }),
    listed: [LINUX_KEY],
    cells: {
      spec: [[LINUX_4], [LINUX_4], LBL, LBL],
      'qemu-traditional': [[LINUX_4], [LINUX_4], [LINUX_4], [LINUX_4]],
      'qemu-upstream': [[LINUX_4], [LINUX_4], [LINUX_4], [LINUX_4]],
    },
  },
  {
    name: 'linux xen_emul_unplug=unnecessary',
    run: () => linuxDriver({ xenEmulUnplug: 'unnecessary' }),
    listed: [LINUX_KEY],
    cells: {
      spec: [[LINUX_UNNECESSARY], [LINUX_UNNECESSARY], LBL, LBL],
      'qemu-traditional': [
        [LINUX_UNNECESSARY],
        [LINUX_UNNECESSARY],
        [LINUX_UNNECESSARY],
        [LINUX_UNNECESSARY],
      ],
      'qemu-upstream': [
        [LINUX_UNNECESSARY],
        [LINUX_UNNECESSARY],
        [LINUX_UNNECESSARY],
        [LINUX_UNNECESSARY],
      ],
    },
  },
  {
    name: 'linux without PV frontends (mask 0)',
    run: () => linuxDriver({ netfront: false, blkfront: false }),
    listed: [LINUX_KEY],
    cells: {
      spec: [[LINUX_ZERO_MASK], [LINUX_ZERO_MASK], LBL, LBL],
      'qemu-traditional': [
        [LINUX_ZERO_MASK],
        [LINUX_ZERO_MASK],
        [LINUX_ZERO_MASK],
        [LINUX_ZERO_MASK],
      ],
      'qemu-upstream': [[LINUX_ZERO_MASK], [LINUX_ZERO_MASK], [LINUX_ZERO_MASK], [LINUX_ZERO_MASK]],
    },
  },
  {
    name: 'linux xen_emul_unplug=never: no access, no handshake',
    run: () => linuxDriver({ xenEmulUnplug: 'never' }),
    listed: [LINUX_KEY],
    cells: {
      spec: [[], [], [], []],
      'qemu-traditional': [[], [], [], []],
      'qemu-upstream': [[], [], [], []],
    },
  },
  {
    name: 'linux PVH: no access, no handshake',
    run: () => linuxDriver({ pvh: true }),
    listed: [LINUX_KEY],
    cells: {
      spec: [[], [], [], []],
      'qemu-traditional': [[], [], [], []],
      'qemu-upstream': [[], [], [], []],
    },
  },
]);

// unmodified_drivers send product 0xffff, which qemu-traditional can blacklist; they honour it.
describeMatrix('matrix: Xen unmodified_drivers', [
  {
    name: 'unmodified_drivers, dev_unplug unset (all)',
    run: () => unmodifiedDriver(),
    listed: [UNMODIFIED_KEY],
    cells: {
      spec: [U7, U7, UBL, UBL],
      'qemu-traditional': [U7, U7, UBL, UBL],
      'qemu-upstream': [U7, U7, U7, U7],
    },
  },
  {
    name: 'unmodified_drivers dev_unplug=nics',
    run: () => unmodifiedDriver({ devUnplug: 'nics' }),
    listed: [UNMODIFIED_KEY],
    cells: {
      spec: [[UNMODIFIED_2], [UNMODIFIED_2], UBL, UBL],
      'qemu-traditional': [[UNMODIFIED_2], [UNMODIFIED_2], UBL, UBL],
      'qemu-upstream': [[UNMODIFIED_2], [UNMODIFIED_2], [UNMODIFIED_2], [UNMODIFIED_2]],
    },
  },
  {
    name: 'unmodified_drivers dev_unplug=never (mask 0 still written)',
    run: () => unmodifiedDriver({ devUnplug: 'never' }),
    listed: [UNMODIFIED_KEY],
    cells: {
      spec: [[UNMODIFIED_0], [UNMODIFIED_0], UBL, UBL],
      'qemu-traditional': [[UNMODIFIED_0], [UNMODIFIED_0], UBL, UBL],
      'qemu-upstream': [[UNMODIFIED_0], [UNMODIFIED_0], [UNMODIFIED_0], [UNMODIFIED_0]],
    },
  },
]);
