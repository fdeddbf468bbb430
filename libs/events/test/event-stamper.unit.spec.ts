import { describe, expect, it } from 'vitest';
import {
  checkEvent,
  createBlacklistStamper,
  createEventStamper,
  type GuestStreamOptions,
} from '@magicport/events';
import { T0, VM } from './sample-events';

const access = { op: 'in', port: 0x10, size: 2, value: null, response: 0x49d2 } as const;
const options: GuestStreamOptions = {
  host: 'h',
  dm: 'dm-1',
  vm: VM,
  domid: 5,
  boot: 0,
  clock: () => T0,
};

describe('event stamper', () => {
  it('numbers a new stream from 0, gapless, with {dm}:{seq} ids and the clock time', () => {
    const stamper = createEventStamper(options);
    const events = [0, 1, 2].map(() => stamper.stamp('port.access', access));
    expect(events.map((e) => [e.id, e.seq, e.time])).toStrictEqual([
      ['dm-1:0', 0, '2026-03-01T12:00:00.000000Z'],
      ['dm-1:1', 1, '2026-03-01T12:00:00.000000Z'],
      ['dm-1:2', 2, '2026-03-01T12:00:00.000000Z'],
    ]);
    expect(stamper.nextSeq).toBe(3);
    expect(events.every((e) => checkEvent(e).ok)).toBe(true);
  });

  it('resumes at a given seq after a restart', () => {
    const stamper = createEventStamper({ ...options, nextSeq: 1000 });
    expect(stamper.stamp('port.access', access).id).toBe('dm-1:1000');
  });

  it('stamps the time the caller gives, to the microsecond', () => {
    const event = createEventStamper(options).stamp('port.access', access, T0 + 7);
    expect(event.time).toBe('2026-03-01T12:00:00.000007Z');
  });

  it('carries the new boot counter after a guest reset', () => {
    const stamper = createEventStamper(options);
    stamper.setBoot(1);
    expect([stamper.boot, stamper.stamp('port.access', access).boot]).toStrictEqual([1, 1]);
  });

  it('takes no seq when the time is bad, so the stream stays gapless', () => {
    const stamper = createEventStamper(options);
    expect(() => stamper.stamp('port.access', access, -1)).toThrow(RangeError);
    expect(stamper.stamp('port.access', access).seq).toBe(0);
  });

  it.each([
    [{ vm: VM.toUpperCase() }, `vm must be a lowercase canonical UUID, got "${VM.toUpperCase()}"`],
    [{ domid: 0x7ff0 }, 'domid must be an integer in 0..32751, got 32752'],
    [{ boot: -1 }, 'boot must be a safe integer >= 0, got -1'],
    [{ nextSeq: 1.5 }, 'nextSeq must be a safe integer >= 0, got 1.5'],
    [{ dm: 'dm 1' }, 'dm must match ^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$, got "dm 1"'],
    [{ host: '' }, 'host must be 1-255 characters, got ""'],
  ])('refuses bad configuration %j', (bad, message) => {
    expect(() => createEventStamper({ ...options, ...bad })).toThrow(new RangeError(message));
  });

  it('stamps blacklist changes without guest fields', () => {
    const stamper = createBlacklistStamper({
      host: 'api',
      dm: 'blacklist',
      nextSeq: 4,
      clock: () => T0,
    });
    const change = {
      product: 'linux',
      build: 1,
      key: '/mh/driver-blacklist/linux/1',
      actor: 'bob',
      reason: 'r',
      revision: 5,
    };
    expect(stamper.stamp('blacklist.entry.added', change)).toStrictEqual({
      id: 'blacklist:4',
      type: 'blacklist.entry.added',
      v: 1,
      time: '2026-03-01T12:00:00.000000Z',
      host: 'api',
      dm: 'blacklist',
      seq: 4,
      data: change,
    });
  });
});
