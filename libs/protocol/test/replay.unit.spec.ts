import { describe, expect, it } from 'vitest';
import { collectSession, logLineAccesses, replay } from '@magicport/protocol';
import { linuxBoot, record, recordBoots, timed } from './support/recording';

const GPLPV_1 = '/mh/driver-blacklist/gplpv-windows/1';
const gplpvBoot = timed(0, [
  { op: 'in', port: 0x10, size: 2 },
  { op: 'in', port: 0x12, size: 1 },
  { op: 'out', port: 0x12, size: 2, value: 2 },
  { op: 'out', port: 0x10, size: 4, value: 1 },
  { op: 'in', port: 0x10, size: 2 },
]);

describe('replay', () => {
  it('decodes each access and the tracker state after it', () => {
    const result = replay({ accesses: record({}, timed(0, linuxBoot(3))).accesses });
    expect(result.timeline.map((e) => [e.meaning, e.handshakeId, e.phase])).toEqual([
      ['magic read: 0x49d2', 1, 'magic-read'],
      ['protocol version read: 1', 1, 'version-read'],
      ['product write: linux (3)', 1, 'product-written'],
      ['build write: 1 (looked up /mh/driver-blacklist/linux/1)', 1, 'build-written'],
      ['magic re-check (step 5): 0x49d2', 1, 'rechecked'],
      ['unplug mask write: 0x0003 (ide-scsi-disks, nics)', 1, 'mask-written'],
    ]);
    expect(result.differences).toEqual([]);
    expect(result.outcomes.map((h) => h.result)).toEqual(['unplugged']);
  });

  it('reproduces a recording under the same device model exactly', () => {
    const options = {
      profile: 'qemu-traditional' as const,
      blacklist: (k: string) => k === GPLPV_1,
    };
    const recording = record(options, gplpvBoot);
    const result = replay(recording, options);
    expect(result.differences).toEqual([]);
    expect(result.outcomes.map((h) => h.result)).toEqual(['blacklisted']);
  });

  it('lists every difference in a what-if run: the same boot on upstream QEMU', () => {
    const recording = record(
      { profile: 'qemu-traditional', blacklist: (k) => k === GPLPV_1 },
      gplpvBoot,
    );
    expect(replay(recording, { profile: 'qemu-upstream' }).differences).toEqual([
      {
        kind: 'response',
        index: 4,
        t: 4,
        meaning: 'magic re-check (step 5): 0x49d2',
        recorded: 0xd249,
        replayed: 0x49d2,
      },
      {
        kind: 'outcome',
        handshake: 0,
        field: 'result',
        recorded: 'blacklisted',
        replayed: 'no-unplug',
      },
      { kind: 'outcome', handshake: 0, field: 'blacklisted', recorded: true, replayed: false },
      { kind: 'outcome', handshake: 0, field: 'blacklistKey', recorded: GPLPV_1, replayed: null },
    ]);
  });

  it('keeps the first timelineLimit entries and still finds a difference past them', () => {
    const recording = record(
      { profile: 'qemu-traditional', blacklist: (k) => k === GPLPV_1 },
      gplpvBoot,
    );
    const full = replay(recording, { profile: 'qemu-upstream' });
    const limited = replay(recording, { profile: 'qemu-upstream' }, { timelineLimit: 2 });
    expect(limited.timeline).toEqual(full.timeline.slice(0, 2));
    expect([limited.timelineLength, full.timelineLength, full.timeline.length]).toEqual([5, 5, 5]);
    // The re-check at index 4 answers differently: reported with its meaning, entry or not.
    expect(limited.differences).toEqual(full.differences);
    expect(limited.differences[0]).toMatchObject({ kind: 'response', index: 4 });
    expect(replay(recording, {}, { timelineLimit: 0 }).timeline).toEqual([]);
  });

  it('derives the recorded outcomes from recorded answers: a trace without a platform device', () => {
    const accesses = [{ op: 'in' as const, port: 0x10, size: 2 as const, response: 0xffff, t: 0 }];
    const result = replay({ accesses }, { profile: 'qemu-upstream' });
    expect(result.recordedOutcomes.map((h) => h.result)).toEqual(['magic-mismatch']);
    expect(result.timeline[0]?.meaning).toBe('magic read: 0x49d2');
    expect(result.differences).toEqual([
      {
        kind: 'response',
        index: 0,
        t: 0,
        meaning: 'magic read: 0x49d2',
        recorded: 0xffff,
        replayed: 0x49d2,
      },
      {
        kind: 'outcome',
        handshake: 0,
        field: 'result',
        recorded: 'magic-mismatch',
        replayed: 'abandoned',
      },
    ]);
  });

  it('compares against recorded outcomes when the recording has them, whatever their key order', () => {
    const recording = record({}, timed(0, [...linuxBoot(3), ...linuxBoot(1)]));
    const [first, second] = recording.outcomes;
    const reordered = {
      ...second!,
      unplug: { nvmeDisks: false, auxIdeDisks: false, nics: false, ideScsiDisks: true },
    };
    expect(
      replay({ accesses: recording.accesses, outcomes: [first!, reordered] }).differences,
    ).toEqual([]);
    expect(replay({ accesses: recording.accesses, outcomes: [first!] }).differences).toEqual([
      { kind: 'outcome-count', recorded: 1, replayed: 2 },
    ]);
  });

  it('rebuilds the byte accesses of a recorded log line', () => {
    const { session, logLines } = collectSession({ profile: 'qemu-traditional' });
    const bytes = new TextEncoder().encode('PV driver build 1\n');
    bytes.forEach((b, i) => session.access('out', 0x12, 1, b, 100 + 3 * i));
    const line = logLines[0]!;
    const accesses = logLineAccesses(line);
    expect(accesses).toHaveLength(18);
    expect(accesses[0]).toEqual({ op: 'out', port: 0x12, size: 1, value: 0x50, t: 100 });
    expect(accesses[17]).toEqual({ op: 'out', port: 0x12, size: 1, value: 0x0a, t: 151 });
    const replayed = replay({ accesses }, { profile: 'qemu-traditional' }).logLines[0]!;
    expect([replayed.text, replayed.firstUs, replayed.lastUs, replayed.accessCount]).toEqual([
      'PV driver build 1',
      100,
      151,
      18,
    ]);
  });

  describe('a later boot on the same qemu-traditional instance', () => {
    // Boot 0 gets gplpv-windows build 1 blacklisted; qemu-dm never clears the flag, so boot 1's
    // first magic read already answers 0xd249 (the recorder resets the device model between
    // boots, which qemu-traditional ignores) and the driver gives up there.
    const options = {
      profile: 'qemu-traditional' as const,
      blacklist: (k: string) => k === GPLPV_1,
    };
    const [boot0, boot1] = recordBoots(options, [
      gplpvBoot,
      timed(100, [{ op: 'in', port: 0x10, size: 2 }]),
    ]);

    it('was recorded with the sticky answer', () => {
      expect(boot1!.accesses[0]!.response).toBe(0xd249);
      expect(boot1!.outcomes.map((h) => h.result)).toEqual(['blacklisted']);
    });

    it('reproduces the recording when the earlier boot is replayed first', () => {
      const result = replay(
        { earlierBoots: [boot0!], accesses: boot1!.accesses, outcomes: boot1!.outcomes },
        options,
      );
      expect(result.differences).toEqual([]);
      expect(result.outcomes.map((h) => h.result)).toEqual(['blacklisted']);
      expect(result.timeline.map((e) => e.response)).toEqual([0xd249]);
      expect(result.timeline[0]!.t).toBe(100);
    });

    it('control: from a fresh device model the first magic read differs', () => {
      const result = replay({ accesses: boot1!.accesses, outcomes: boot1!.outcomes }, options);
      expect(result.differences).toEqual([
        {
          kind: 'response',
          index: 0,
          t: 100,
          meaning: 'magic read: 0x49d2',
          recorded: 0xd249,
          replayed: 0x49d2,
        },
        {
          kind: 'outcome',
          handshake: 0,
          field: 'result',
          recorded: 'blacklisted',
          replayed: 'abandoned',
        },
        { kind: 'outcome', handshake: 0, field: 'blacklisted', recorded: true, replayed: false },
        {
          kind: 'outcome',
          handshake: 0,
          field: 'blacklistKey',
          recorded: GPLPV_1,
          replayed: null,
        },
      ]);
    });

    it('derives the recorded outcomes of the replayed boot only', () => {
      const result = replay({ earlierBoots: [boot0!], accesses: boot1!.accesses }, options);
      expect(result.recordedOutcomes.map((h) => h.result)).toEqual(['blacklisted']);
      expect(result.differences).toEqual([]);
    });
  });
});
