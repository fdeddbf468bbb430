import { describe, expect, it } from 'vitest';
import type { GuestEvent } from '@magicport/events';
import { DeviceModelRecorder, type RecorderOptions } from '../src/recorder';

const VM = '6f1c2b1e-3c4d-4e5f-8a9b-0c1d2e3f4a5b';
const base: RecorderOptions = {
  host: 'host-1',
  dm: 'host-1.dm-1',
  vm: VM,
  domid: 7,
  profile: 'spec',
  enforceBlacklist: false,
  blacklist: () => false,
  idleGapMs: 5_000,
  logByteAccesses: false,
  source: 'simulated',
};

function record(
  options: Partial<RecorderOptions>,
  run: (r: DeviceModelRecorder) => void,
): GuestEvent[] {
  const events: GuestEvent[] = [];
  const recorder = new DeviceModelRecorder({ ...base, ...options }, (e) => events.push(e));
  run(recorder);
  return events;
}

const T0 = Date.UTC(2026, 0, 1) * 1000;
function linuxHandshake(r: DeviceModelRecorder, t: number): void {
  r.access('in', 0x10, 2, undefined, t);
  r.access('in', 0x12, 1, undefined, t + 1);
  r.access('out', 0x12, 2, 3, t + 2);
  r.access('out', 0x10, 4, 1, t + 3);
  r.access('in', 0x10, 2, undefined, t + 4);
  r.access('out', 0x10, 2, 3, t + 5);
}
const logLine = (r: DeviceModelRecorder, text: string, t: number) =>
  [...Buffer.from(text, 'latin1')].forEach((b, i) => r.access('out', 0x12, 1, b, t + i));

describe('DeviceModelRecorder', () => {
  it('frames the instance with dm.started/dm.stopped and records accesses and outcomes in order', () => {
    const events = record({}, (r) => {
      r.start(T0);
      linuxHandshake(r, T0 + 10);
      r.stop('guest-shutdown', T0 + 100);
    });
    expect(events.map((e) => [e.seq, e.type])).toEqual([
      [0, 'dm.started'],
      [1, 'port.access'],
      [2, 'port.access'],
      [3, 'port.access'],
      [4, 'port.access'],
      [5, 'port.access'],
      [6, 'port.access'],
      [7, 'handshake.outcome'],
      [8, 'dm.stopped'],
    ]);
    expect(
      events.every(
        (e) => e.id === `host-1.dm-1:${e.seq}` && e.vm === VM && e.domid === 7 && e.boot === 0,
      ),
    ).toBe(true);
    expect(events[1]!.data).toEqual({
      op: 'in',
      port: 0x10,
      size: 2,
      value: null,
      response: 0x49d2,
    });
    expect(events[3]!.data).toEqual({ op: 'out', port: 0x12, size: 2, value: 3, response: null });
    expect(events[7]!.data).toMatchObject({
      handshakeId: 'host-1.dm-1#1',
      result: 'unplugged',
      product: { number: 3, name: 'linux' },
      build: 1,
      mask: 3,
      startTime: '2026-01-01T00:00:00.000010Z',
      endTime: '2026-01-01T00:00:00.000015Z',
      accessCount: 6,
    });
  });

  it('folds log byte writes into their guest.log line, and records each one too in forensic mode', () => {
    const folded = record({}, (r) => logLine(r, 'hi\n', T0));
    expect(folded.map((e) => e.type)).toEqual(['guest.log']);
    expect(folded[0]!.data).toEqual({
      text: 'hi',
      bytesBase64: 'aGk=',
      truncated: false,
      trigger: 10,
      droppedBefore: 0,
      throttledMs: 0,
      accessCount: 3,
      firstTime: '2026-01-01T00:00:00.000000Z',
      lastTime: '2026-01-01T00:00:00.000002Z',
      handshakeId: null,
    });
    const forensic = record({ logByteAccesses: true }, (r) => logLine(r, 'hi\n', T0));
    expect(forensic.map((e) => e.type)).toEqual([
      'port.access',
      'port.access',
      'port.access',
      'guest.log',
    ]);
  });

  it('keeps raw bytes of a non-UTF-8 line and flushes a cut-off line at stop with no trigger', () => {
    const events = record({}, (r) => {
      logLine(r, '\xff\x00ok\n', T0);
      logLine(r, 'partial', T0 + 100);
      r.stop('agent-stop', T0 + 200);
    });
    expect(events.map((e) => e.type)).toEqual(['guest.log', 'guest.log', 'dm.stopped']);
    expect(events[0]!.data).toMatchObject({
      text: '\ufffd\u2400ok',
      bytesBase64: Buffer.from([0xff, 0, 0x6f, 0x6b]).toString('base64'),
    });
    expect(events[1]!.data).toMatchObject({ text: 'partial', trigger: null, accessCount: 7 });
  });

  it('continues a resumed stream at nextSeq and counts boots', () => {
    const events = record({ nextSeq: 41 }, (r) => {
      r.access('in', 0x10, 1, undefined, T0);
      r.reboot(T0 + 1);
      r.access('in', 0x10, 1, undefined, T0 + 2);
    });
    expect(events.map((e) => [e.seq, e.boot])).toEqual([
      [41, 0],
      [42, 1],
    ]);
  });

  it('never throws on garbage from the guest', () => {
    const events = record({}, (r) => {
      for (let i = 0; i < 2000; i++) {
        const size = ([1, 2, 4] as const)[i % 3]!;
        r.access(
          i % 2 ? 'in' : 'out',
          0x10 + (i % 16),
          size,
          (i * 2654435761) >>> (32 - size * 8),
          T0 + i,
        );
      }
      r.stop('guest-destroyed', T0 + 10_000);
    });
    expect(events[events.length - 1]!.type).toBe('dm.stopped');
  });
});
