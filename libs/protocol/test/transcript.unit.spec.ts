import { describe, expect, it } from 'vitest';
import { parseTranscript, runTranscript, TranscriptError } from '@magicport/protocol';

/** DESIGN §3's example transcript. */
const designExample = {
  profile: 'spec',
  blacklist: ['/mh/driver-blacklist/linux/1'],
  enforceBlacklist: false,
  accesses: [
    { op: 'in', port: 16, size: 2 },
    { op: 'in', port: 18, size: 1 },
    { op: 'out', port: 18, size: 2, value: 3 },
    { op: 'out', port: 16, size: 4, value: 1 },
    { op: 'in', port: 16, size: 2 },
    { op: 'out', port: 16, size: 2, value: 3 },
  ],
};

function problemsOf(json: unknown): readonly string[] {
  try {
    parseTranscript(json);
  } catch (error) {
    if (error instanceof TranscriptError) return error.problems;
    throw error;
  }
  return [];
}

describe('parseTranscript', () => {
  it.each([
    [[], 'transcript: must be a JSON object with an "accesses" array'],
    [{}, 'accesses: required (an array of {"op", "port", "size", "value"?, "t"?})'],
    [{ accesses: {} }, 'accesses: must be an array (got {})'],
    [
      { accesses: [7] },
      'accesses[0]: must be an object such as {"op": "in", "port": 16, "size": 2} (got 7)',
    ],
    [
      { accesses: [{ op: 'read', port: 16, size: 2 }] },
      'accesses[0].op: must be "in" or "out" (got "read")',
    ],
    [
      { accesses: [{ op: 'in', port: 65536, size: 2 }] },
      'accesses[0].port: must be an integer from 0 to 65535 (got 65536)',
    ],
    [
      { accesses: [{ op: 'in', port: 16.5, size: 2 }] },
      'accesses[0].port: must be an integer from 0 to 65535 (got 16.5)',
    ],
    [{ accesses: [{ op: 'in', port: 16 }] }, 'accesses[0].size: must be 1, 2 or 4 (got nothing)'],
    [{ accesses: [{ op: 'out', port: 16, size: 2 }] }, 'accesses[0].value: required for "out"'],
    [
      { accesses: [{ op: 'out', port: 18, size: 1, value: 256 }] },
      'accesses[0].value: must be an integer from 0 to 255 for a 1-byte write (got 256)',
    ],
    [
      { accesses: [{ op: 'out', port: 16, size: 4, value: -1 }] },
      'accesses[0].value: must be an integer from 0 to 4294967295 for a 4-byte write (got -1)',
    ],
    [
      { accesses: [{ op: 'in', port: 16, size: 2, value: 1 }] },
      'accesses[0].value: only "out" accesses carry a value (the device model answers "in")',
    ],
    [
      { accesses: [{ op: 'in', port: 16, size: 2, t: -5 }] },
      'accesses[0].t: must be a non-negative number of microseconds (got -5)',
    ],
    [
      { accesses: [{ op: 'in', port: 16, size: 2, time: 5 }] },
      'accesses[0].time: unknown key (allowed: op, port, size, value, t)',
    ],
    [
      { accesses: [], profile: 'xen' },
      'profile: must be one of "spec", "qemu-traditional", "qemu-upstream" (got "xen")',
    ],
    [
      { accesses: [], blacklist: '/mh/x' },
      'blacklist: must be an array of xenstore keys such as "/mh/driver-blacklist/linux/1"',
    ],
    [{ accesses: [], blacklist: [3] }, 'blacklist[0]: must be a string (got 3)'],
    [
      { accesses: [], enforceBlacklist: 'yes' },
      'enforceBlacklist: must be true or false (got "yes")',
    ],
    [
      { accesses: [], profile: 'qemu-traditional', enforceBlacklist: true },
      'enforceBlacklist: only the spec profile can enforce the blacklist (qemu-traditional never does)',
    ],
    [
      { accesses: [], idleGapMs: 0 },
      'idleGapMs: must be a positive number of milliseconds (got 0)',
    ],
    [
      { accesses: [], enforceBlackList: true },
      'enforceBlackList: unknown key (allowed: profile, blacklist, enforceBlacklist, idleGapMs, accesses)',
    ],
  ])('rejects %j: %s', (json, problem) => {
    expect(problemsOf(json)).toEqual([problem]);
  });

  it('names the offending entry among valid ones, e.g. accesses[3].size', () => {
    const accesses = [...designExample.accesses];
    accesses[3] = { op: 'out', port: 16, size: 3, value: 1 };
    expect(() => parseTranscript({ accesses })).toThrow(
      'accesses[3].size: must be 1, 2 or 4 (got 3)',
    );
  });

  it('lists every problem, one per entry', () => {
    expect(
      problemsOf({
        accesses: [
          { op: 'in', port: 16, size: 2, t: 10 },
          { op: 'in', port: 16, size: 2, t: 9 },
          { op: 'x', port: 1, size: 1 },
        ],
      }),
    ).toEqual([
      'accesses[1].t: goes back in time (9 after 10)',
      'accesses[2].op: must be "in" or "out" (got "x")',
    ]);
  });

  it('fills the defaults: spec, empty blacklist, no enforcement', () => {
    expect(parseTranscript({ accesses: [{ op: 'in', port: 16, size: 2 }] })).toEqual({
      profile: 'spec',
      blacklist: [],
      enforceBlacklist: false,
      accesses: [{ op: 'in', port: 16, size: 2 }],
    });
  });
});

describe('runTranscript', () => {
  it('runs the DESIGN §3 example: the spec profile blacklists linux/1, the driver unplugs anyway', () => {
    expect(runTranscript(designExample)).toEqual({
      responses: [0x49d2, 1, 0xd249],
      handshakes: [
        {
          result: 'blacklist-ignored',
          protocolVersion: 1,
          product: { number: 3, name: 'linux' },
          build: 1,
          blacklisted: true,
          blacklistKey: '/mh/driver-blacklist/linux/1',
          mask: 3,
          maskWrites: [3],
          unplug: { ideScsiDisks: true, nics: true, auxIdeDisks: false, nvmeDisks: false },
          unplugApplied: true,
          violations: ['mask-while-blacklisted'],
        },
      ],
      logLines: [],
      logLinesDropped: 0,
    });
  });

  it('prints the documented DESIGN §3 output for the same accesses on qemu-traditional (Linux cannot be blacklisted there)', () => {
    const result = runTranscript({ ...designExample, profile: 'qemu-traditional' });
    expect(result.responses).toEqual([18898, 1, 18898]);
    expect(JSON.stringify(result.handshakes)).toBe(
      '[{"result":"unplugged","protocolVersion":1,"product":{"number":3,"name":"linux"},"build":1,' +
        '"blacklisted":false,"blacklistKey":null,"mask":3,"maskWrites":[3],' +
        '"unplug":{"ideScsiDisks":true,"nics":true,"auxIdeDisks":false,"nvmeDisks":false},' +
        '"unplugApplied":true,"violations":[]}]',
    );
  });

  it('emits log lines as text, base64 of the raw bytes and truncated', () => {
    const line = [0x68, 0x00, 0xff, 0x0a].map((value) => ({ op: 'out', port: 18, size: 1, value }));
    expect(
      runTranscript({
        profile: 'qemu-upstream',
        accesses: [{ op: 'in', port: 16, size: 2 }, ...line],
      }).logLines,
    ).toEqual([{ text: 'h', bytesBase64: 'aAD/', truncated: false, droppedBefore: 0 }]);
  });

  it('uses t for the idle gap and keeps the previous time when t is absent', () => {
    const result = runTranscript({
      idleGapMs: 1,
      accesses: [
        { op: 'in', port: 16, size: 2, t: 0 },
        { op: 'in', port: 18, size: 1 },
        { op: 'out', port: 16, size: 2, value: 1, t: 1001 },
        { op: 'out', port: 16, size: 2, value: 2, t: 2002 },
      ],
    });
    expect(result.handshakes.map((h) => [h.result, h.maskWrites])).toEqual([
      ['version-unsupported', []],
      ['unplugged', [1]],
      ['unplugged', [2]],
    ]);
  });

  it('runs whatever the guest did', () => {
    const accesses = Array.from({ length: 64 }, (_, i) => ({
      op: i % 2 ? 'out' : 'in',
      port: 0x10 + (i % 16),
      size: [1, 2, 4][i % 3],
      ...(i % 2 ? { value: i } : {}),
    }));
    expect(runTranscript({ profile: 'qemu-traditional', accesses }).responses).toHaveLength(32);
  });
});
