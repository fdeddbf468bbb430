import { freebsdDriver, openbsdDriver, rombiosPost } from '@magicport/protocol';
import { describeMatrix, type Expected } from './matrix-harness';

// Every cell below is written by hand from the protocol notes (§3.5-3.7, §5 gotchas 4 and 6) and
// DESIGN §2/§4. Columns: [not listed, not listed + enforcement, listed, listed + enforcement].
// The BSDs read the magic and write the mask: no version, product or build, so there is no key
// to blacklist; the "listed" cells list every key and still nothing may be blacklisted.

const bsd = (mask: number): Expected => ({
  result: 'unplugged',
  protocolVersion: null,
  product: null,
  build: null,
  blacklisted: false,
  blacklistKey: null,
  mask,
  maskWrites: [mask],
  unplugApplied: true,
  violations: ['mask-without-version'],
});
const B3 = [bsd(3)];
const B2 = [bsd(2)];
const B7 = [bsd(7)];
/** Magic read, then nothing: both tunables keep the emulated devices. */
const MAGIC_ONLY: Expected[] = [
  {
    result: 'abandoned',
    protocolVersion: null,
    product: null,
    build: null,
    blacklisted: false,
    blacklistKey: null,
    mask: 0,
    maskWrites: [],
    unplugApplied: false,
    violations: [],
  },
];

describeMatrix('matrix: FreeBSD, OpenBSD, ROMBIOS', [
  {
    name: 'freebsd defaults',
    run: () => freebsdDriver(),
    listed: 'everything',
    cells: {
      spec: [B3, B3, B3, B3],
      'qemu-traditional': [B3, B3, B3, B3],
      'qemu-upstream': [B3, B3, B3, B3],
    },
  },
  {
    name: 'freebsd hw.xen.disable_pv_disks',
    run: () => freebsdDriver({ disablePvDisks: true }),
    listed: 'everything',
    cells: {
      spec: [B2, B2, B2, B2],
      'qemu-traditional': [B2, B2, B2, B2],
      'qemu-upstream': [B2, B2, B2, B2],
    },
  },
  {
    name: 'freebsd with both tunables set: magic only',
    run: () => freebsdDriver({ disablePvDisks: true, disablePvNics: true }),
    listed: 'everything',
    cells: {
      spec: [MAGIC_ONLY, MAGIC_ONLY, MAGIC_ONLY, MAGIC_ONLY],
      'qemu-traditional': [MAGIC_ONLY, MAGIC_ONLY, MAGIC_ONLY, MAGIC_ONLY],
      'qemu-upstream': [MAGIC_ONLY, MAGIC_ONLY, MAGIC_ONLY, MAGIC_ONLY],
    },
  },
  {
    name: 'freebsd PV domain: no access, no handshake',
    run: () => freebsdDriver({ pv: true }),
    listed: 'everything',
    cells: {
      spec: [[], [], [], []],
      'qemu-traditional': [[], [], [], []],
      'qemu-upstream': [[], [], [], []],
    },
  },
  {
    name: 'openbsd defaults',
    run: () => openbsdDriver(),
    listed: 'everything',
    cells: {
      spec: [B3, B3, B3, B3],
      'qemu-traditional': [B3, B3, B3, B3],
      'qemu-upstream': [B3, B3, B3, B3],
    },
  },
  {
    name: 'openbsd with the secondary IDE flag',
    run: () => openbsdDriver({ unplugIdeSecondary: true }),
    listed: 'everything',
    cells: {
      spec: [B7, B7, B7, B7],
      'qemu-traditional': [B7, B7, B7, B7],
      'qemu-upstream': [B7, B7, B7, B7],
    },
  },
  {
    name: 'ROMBIOS POST alone: platform flags writes, no handshake',
    run: () => rombiosPost(),
    listed: 'everything',
    cells: {
      spec: [[], [], [], []],
      'qemu-traditional': [[], [], [], []],
      'qemu-upstream': [[], [], [], []],
    },
  },
]);
