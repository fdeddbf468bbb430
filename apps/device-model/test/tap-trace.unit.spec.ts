import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { logTexts, ofType, outcomes, tapFile, tapText, TRACES } from './tap-harness';

const notBlacklisted = { blacklisted: false, blacklistKey: null };
const disksNicsNvme = { ideScsiDisks: true, nics: true, auxIdeDisks: false, nvmeDisks: true };
const disksNics = { ideScsiDisks: true, nics: true, auxIdeDisks: false, nvmeDisks: false };
const nothing = { ideScsiDisks: false, nics: false, auxIdeDisks: false, nvmeDisks: false };
const WIN_PV_LINES = [
  'UNPLUG: PRE-AMBLE (DRIVERS NOT BLACKLISTED)',
  'UNPLUG: DISKS',
  'UNPLUG: NICS',
];

describe('dm tap: QEMU traces in each log-backend prefix style', () => {
  it('no prefix (QEMU >= 6.0 default): a win-pv boot with its banner bytes; synthetic times 1 µs per line', async () => {
    const { result, events } = await tapFile(join(TRACES, 'win-pv-boot.upstream.trace'));
    expect(result).toMatchObject({
      format: 'qemu-trace',
      formatAssumed: false,
      profile: 'qemu-upstream',
    });
    expect(outcomes(events)).toEqual([
      {
        handshakeId: 'host-1.tap-1#1',
        result: 'unplugged',
        protocolVersion: 1,
        product: { number: 0xffff, name: 'experimental' },
        build: 590080,
        ...notBlacklisted,
        mask: 11,
        maskWrites: [9, 2],
        unplug: disksNicsNvme,
        unplugApplied: true,
        // xen.sys logs its banner before any magic read.
        violations: ['log-before-magic'],
        // The magic read is line 49 of the file, the NICS mask write line 117.
        startTime: '1970-01-01T00:00:00.000049Z',
        endTime: '1970-01-01T00:00:00.000117Z',
        accessCount: 7,
        // A tap answers nothing from a blacklist view: no revision.
        blacklistRevision: null,
      },
    ]);
    expect(logTexts(events)).toEqual([
      'XEN|DllInitialize: 9.1.0 (0) (01.01.2026)',
      ...WIN_PV_LINES,
    ]);
    expect(ofType(events, 'guest.log').map((e) => e.data.accessCount)).toEqual([42, 44, 14, 13]);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i));
    expect(events.map((e) => e.type).filter((t) => t !== 'port.access')).toEqual([
      'dm.started',
      'guest.log',
      'guest.log',
      'guest.log',
      'guest.log',
      'handshake.outcome',
      'dm.stopped',
    ]);
    expect(ofType(events, 'port.access')).toHaveLength(9); // 2 ROMBIOS flag writes + 7
    expect(result.report).toMatchObject({ lines: 133, logLinesChecked: 4, logMismatches: 0 });
  });

  it('pid@sec.usec prefix (2015-2018): a Linux boot, with the line times', async () => {
    const { events } = await tapFile(join(TRACES, 'linux-boot.pid.trace'));
    expect(outcomes(events)).toEqual([
      {
        handshakeId: 'host-1.tap-1#1',
        result: 'unplugged',
        protocolVersion: 1,
        product: { number: 3, name: 'linux' },
        build: 1,
        ...notBlacklisted,
        mask: 3,
        maskWrites: [3],
        unplug: disksNics,
        unplugApplied: true,
        violations: [],
        startTime: '2018-10-03T20:12:49.672533Z',
        endTime: '2018-10-03T20:12:49.672551Z',
        accessCount: 6,
        // A tap answers nothing from a blacklist view: no revision.
        blacklistRevision: null,
      },
    ]);
    expect(logTexts(events)).toEqual([]);
    expect(events[0]).toMatchObject({ type: 'dm.started', time: '2018-10-03T20:12:49.672530Z' });
    expect(events.at(-1)).toMatchObject({
      type: 'dm.stopped',
      time: '2018-10-03T20:12:49.672594Z',
      data: { reason: 'agent-stop', detail: 'end of file (10 lines)' },
    });
  });

  it('tid@sec.usec prefix, KVM memory_region_ops form: a GPLPV boot and its log lines', async () => {
    const { events } = await tapFile(join(TRACES, 'gplpv-boot.kvm.tid.trace'));
    expect(outcomes(events)).toMatchObject([
      {
        result: 'unplugged',
        protocolVersion: 1,
        product: { number: 2, name: 'gplpv-windows' },
        build: 1,
        ...notBlacklisted,
        mask: 3,
        maskWrites: [3],
        unplug: disksNics,
        violations: [],
        startTime: '2023-07-22T04:26:40.000114Z',
      },
    ]);
    expect(ofType(events, 'guest.log').map((e) => [e.data.text, e.data.handshakeId])).toEqual([
      ['13408473600120: qemu version = 1', 'host-1.tap-1#1'],
      ['13408473600135: disabled qemu devices 03', 'host-1.tap-1#1'],
    ]);
  });

  it('ISO-8601 prefix (QEMU >= 10.1): a win-pv resume, no banner, no violation', async () => {
    const { events } = await tapFile(join(TRACES, 'win-pv-resume.iso.trace'));
    expect(outcomes(events)).toMatchObject([
      {
        result: 'unplugged',
        product: { number: 0xffff, name: 'experimental' },
        build: 590080,
        ...notBlacklisted,
        mask: 11,
        maskWrites: [9, 2],
        unplug: disksNicsNvme,
        violations: [],
        startTime: '2026-03-01T12:00:00.000005Z',
        endTime: '2026-03-01T12:00:00.000097Z',
      },
    ]);
    expect(logTexts(events)).toEqual(WIN_PV_LINES);
  });
});

describe('dm tap: responses are recorded, not re-emulated', () => {
  const blacklisted = {
    result: 'blacklisted',
    protocolVersion: 1,
    product: { number: 2, name: 'gplpv-windows' },
    build: 1,
    blacklisted: true,
    mask: 0,
    maskWrites: [],
    unplug: nothing,
    unplugApplied: false,
    violations: [],
  };
  const path = join(TRACES, 'gplpv-blacklisted.pid.trace');

  it('a device model that answered 0xd249 gives a blacklist outcome under the upstream profile', async () => {
    const { events } = await tapFile(path);
    // Upstream QEMU never looks a key up, so none can be named.
    expect(outcomes(events)).toMatchObject([{ ...blacklisted, blacklistKey: null }]);
    const magicReads = ofType(events, 'port.access').filter(
      (e) => e.data.port === 0x10 && e.data.op === 'in',
    );
    expect(magicReads.map((e) => e.data.response)).toEqual([0x49d2, 0xd249]);
    expect(logTexts(events)).toEqual([
      '13408473600120: qemu version = 1',
      '13408473600125: qemu we are blacklisted',
    ]);
  });

  it('the qemu-traditional profile decodes the same answers and names the key it looks up', async () => {
    const { result, events } = await tapFile(path, { profile: 'qemu-traditional' });
    expect(result.profile).toBe('qemu-traditional');
    // Our traditional model would have answered 0x49d2 (empty blacklist): the trace's 0xd249 wins.
    expect(outcomes(events)).toMatchObject([
      { ...blacklisted, blacklistKey: '/mh/driver-blacklist/gplpv-windows/1' },
    ]);
  });
});

describe('dm tap: xen_platform_log lines', () => {
  it('with no byte accesses traced, each becomes a guest.log built from its text', async () => {
    const { events } = await tapFile(join(TRACES, 'win-pv-log-only.iso.trace'));
    expect(ofType(events, 'guest.log').map((e) => e.data)).toEqual(
      [
        ['XEN|DllInitialize: 9.1.0 (0) (01.01.2026)', '00.000250'],
        ['UNPLUG: PRE-AMBLE (DRIVERS NOT BLACKLISTED)', '00.000500'],
        ['UNPLUG: DISKS', '00.000750'],
        ['UNPLUG: NICS', '00.001000'],
        ['', '00.001250'],
      ].map(([text, at]) => ({
        text,
        bytesBase64: Buffer.from(text!).toString('base64'),
        truncated: false,
        trigger: 10,
        droppedBefore: 0,
        throttledMs: 0,
        accessCount: text!.length + 1,
        firstTime: `2026-03-01T12:00:${at}Z`,
        lastTime: `2026-03-01T12:00:${at}Z`,
        handshakeId: null,
      })),
    );
  });

  it('a line that filled the 4095-byte buffer keeps what it stored, and no guess at its trigger', async () => {
    const { events } = await tapText(`xen_platform_log xen platform: ${'y'.repeat(5000)}\n`);
    expect(ofType(events, 'guest.log').map((e) => e.data)).toMatchObject([
      { text: 'y'.repeat(4095), truncated: false, trigger: null, accessCount: 4095 },
    ]);
  });

  it('with byte accesses, the traced text is only cross-checked; a mismatch is counted with its line', async () => {
    const bytes = (text: string) =>
      [...Buffer.from(`${text}\n`)].map((b) => `cpu_out addr 0x12(b) value ${b}`);
    const trace = (logged: string) =>
      [
        'cpu_in addr 0x10(w) value 18898',
        ...bytes('AB'),
        `xen_platform_log xen platform: ${logged}`,
      ].join('\n');
    const same = await tapText(trace('AB'));
    expect(logTexts(same.events)).toEqual(['AB']);
    expect(same.result.report).toMatchObject({ logLinesChecked: 1, logMismatches: 0, issues: [] });

    const differs = await tapText(trace('AC'));
    expect(logTexts(differs.events)).toEqual(['AB']);
    expect(differs.result.report).toMatchObject({ logLinesChecked: 1, logMismatches: 1 });
    expect(differs.result.report.issues).toEqual([
      {
        line: 5,
        generation: 0,
        kind: 'log-mismatch',
        reason: 'xen_platform_log text differs from the line rebuilt from 0x12 bytes',
      },
    ]);
  });
});
