import { describe, expect, it } from 'vitest';
import { eventTimeToMicros, type GuestEvent } from '@magicport/events';
import {
  OUTCOME_FIELDS,
  recordedAccesses,
  replay,
  type HandshakeOutcome,
  type StoredAccess,
  type StoredLogLine,
} from '@magicport/protocol';
import { DeviceModelRecorder } from '../../apps/device-model/src/recorder';

const VM = '0f8fad5b-d9cb-469f-a165-70867728950e';
const S = 1_000_000;
const NEWLINE = 0x0a;

/**
 * A log line whose first byte is written while handshake 1 is open and whose next byte comes
 * after another access closed it (idle gap) and opened handshake 2: each handshake gets its own
 * log-before-magic. The line's guest.log event alone keeps only the first and last byte's time.
 */
function record(): GuestEvent[] {
  const events: GuestEvent[] = [];
  const r = new DeviceModelRecorder(
    {
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
    },
    (e) => events.push(e),
  );
  r.start(0);
  r.access('in', 0x12, 1, undefined, 10); // version read: handshake 1 opens
  r.access('out', 0x12, 1, 0x61, 20); // 'a' while 1 is open
  r.access('in', 0x12, 1, undefined, 6 * S); // idle: 1 closes, 2 opens
  r.access('out', 0x12, 1, 0x62, 6 * S + 10); // 'b' while 2 is open
  r.access('in', 0x10, 2, undefined, 6 * S + 20); // magic: 2 closes, 3 opens
  r.access('out', 0x12, 1, NEWLINE, 6 * S + 30);
  r.stop('guest-shutdown', 7 * S);
  return events;
}

/** The events as the store's replay query gives them back. */
function stored(events: GuestEvent[]) {
  const t = (time: string) => eventTimeToMicros(time)!;
  const accesses: StoredAccess[] = [];
  const lines: StoredLogLine[] = [];
  const outcomes: HandshakeOutcome[] = [];
  for (const e of events) {
    if (e.type === 'port.access') accesses.push({ seq: e.seq, t: t(e.time), ...e.data });
    if (e.type === 'guest.log')
      lines.push({
        seq: e.seq,
        bytes: Buffer.from(e.data.bytesBase64, 'base64'),
        trigger: e.data.trigger,
        accessCount: e.data.accessCount,
        firstUs: t(e.data.firstTime),
        lastUs: t(e.data.lastTime),
      });
    if (e.type === 'handshake.outcome')
      outcomes.push(
        Object.fromEntries(
          OUTCOME_FIELDS.map((k) => [k, e.data[k]]),
        ) as unknown as HandshakeOutcome,
      );
  }
  return { accesses, lines, outcomes };
}

const isLogByte = (a: StoredAccess) => a.op === 'out' && a.port === 0x12 && a.size === 1;

describe('replay of a log line interleaved with other accesses', () => {
  it('records the line as spilled log-byte accesses and replays to the recorded outcomes', () => {
    const { accesses, lines, outcomes } = stored(record());
    expect(outcomes.map((o) => [o.result, o.violations])).toEqual([
      ['version-unsupported', ['log-before-magic']],
      ['version-unsupported', ['log-before-magic']],
      ['abandoned', []],
    ]);
    // Every byte of the line is on the record in place; its guest.log event still holds it all.
    // (seq 4 and 7: the outcomes of handshakes 1 and 2, after the access that closed each)
    expect(accesses.map((a) => [a.seq, a.t, a.op, a.port, a.value])).toEqual([
      [1, 10, 'in', 0x12, null],
      [2, 20, 'out', 0x12, 0x61],
      [3, 6 * S, 'in', 0x12, null],
      [5, 6 * S + 10, 'out', 0x12, 0x62],
      [6, 6 * S + 20, 'in', 0x10, null],
      [8, 6 * S + 30, 'out', 0x12, NEWLINE],
    ]);
    expect(lines.map((l) => [l.seq, Buffer.from(l.bytes).toString(), l.accessCount])).toEqual([
      [9, 'ab', 3],
    ]);
    const input = recordedAccesses(accesses, lines, false);
    expect(input.filter((a) => a.port === 0x12 && a.op === 'out')).toHaveLength(3);
    const result = replay({ accesses: input, outcomes }, { profile: 'spec', idleGapMs: 5_000 });
    expect(result.differences).toEqual([]);
    expect(result.outcomes).toHaveLength(3);
  });

  it('control: rebuilt from the guest.log event alone (no spilled bytes), handshakes 1 and 2 lose their violation', () => {
    const { accesses, lines, outcomes } = stored(record());
    const input = recordedAccesses(
      accesses.filter((a) => !isLogByte(a)),
      lines,
      false,
    );
    const result = replay({ accesses: input, outcomes }, { profile: 'spec', idleGapMs: 5_000 });
    // All three bytes replay right before the line's event, after the magic read.
    expect(result.differences).toEqual([
      {
        kind: 'outcome',
        handshake: 0,
        field: 'violations',
        recorded: ['log-before-magic'],
        replayed: [],
      },
      {
        kind: 'outcome',
        handshake: 1,
        field: 'violations',
        recorded: ['log-before-magic'],
        replayed: [],
      },
    ]);
  });

  it('rebuilds a line only when no spilled byte lies between it and the previous line', () => {
    const out = (seq: number, t: number, value: number, port = 0x12): StoredAccess => ({
      seq,
      t,
      op: 'out',
      port,
      size: port === 0x12 ? 1 : 2,
      value,
      response: null,
    });
    const line = (seq: number, text: string, t: number): StoredLogLine => ({
      seq,
      bytes: Buffer.from(text),
      trigger: NEWLINE,
      accessCount: text.length + 1,
      firstUs: t,
      lastUs: t + text.length,
    });
    const accesses = [
      out(1, 100, 3, 0x10),
      // A spill: a line the rate limiter dropped ('x\n'), then the bytes of line 'yz'.
      out(3, 200, 0x78),
      out(4, 201, NEWLINE),
      out(5, 300, 0x79),
      out(6, 301, 3, 0x10),
      out(7, 302, 0x7a),
      out(8, 303, NEWLINE),
    ];
    const lines = [line(2, 'a', 110), line(9, 'yz', 300), line(10, 'b', 400)];
    const stream = recordedAccesses(accesses, lines, false);
    expect(stream.map((a) => [a.t, a.port, a.value])).toEqual([
      [100, 0x10, 3],
      [110, 0x12, 0x61],
      [111, 0x12, NEWLINE],
      [200, 0x12, 0x78],
      [201, 0x12, NEWLINE],
      [300, 0x12, 0x79],
      [301, 0x10, 3],
      [302, 0x12, 0x7a],
      [303, 0x12, NEWLINE],
      [400, 0x12, 0x62],
      [401, 0x12, NEWLINE],
    ]);
    // Forensic mode: every log byte is a port.access already, no line is rebuilt.
    expect(recordedAccesses(accesses, lines, true)).toHaveLength(accesses.length);
  });

  it('a line a reboot interrupts stays in the buffer: the next boot replays only its own bytes', () => {
    const events: GuestEvent[] = [];
    const r = new DeviceModelRecorder(
      {
        host: 'host-1',
        dm: 'host-1.dm-2',
        vm: VM,
        domid: 7,
        profile: 'qemu-traditional',
        enforceBlacklist: false,
        blacklist: () => false,
        idleGapMs: 5_000,
        logByteAccesses: false,
        source: 'simulated',
      },
      (e) => events.push(e),
    );
    r.start(0);
    r.access('in', 0x10, 1, undefined, 10); // flags read
    r.access('out', 0x12, 1, 0x4a, 20); // 'J', still in the buffer at the reset
    r.reboot(1 * S);
    r.access('out', 0x1b, 2, 0xc7a3, 2 * S); // unknown port: a handshake's first violation
    r.access('in', 0x12, 4, undefined, 2 * S + 10); // unexpected width
    r.access('out', 0x11, 2, 0x51ca, 2 * S + 20); // qemu-traditional: a log byte ('Q')
    r.access('out', 0x12, 1, 0x52, 2 * S + 30); // 'R', spilled: the line has a byte on record
    r.access('out', 0x12, 1, NEWLINE, 2 * S + 40);
    r.access('out', 0x10, 4, 7, 2 * S + 50); // build write: opens the handshake
    r.stop('guest-shutdown', 3 * S);
    const boot = (b: number) => stored(events.filter((e) => e.boot === b));
    const [b0, b1] = [boot(0), boot(1)];
    expect(b0.lines.map((l) => Buffer.from(l.bytes).toString())).toEqual(['J']);
    expect(b1.lines.map((l) => Buffer.from(l.bytes).toString())).toEqual(['JQR']);
    expect(b1.accesses.filter(isLogByte).map((a) => a.value)).toEqual([0x52, NEWLINE]);
    expect(b1.outcomes.map((o) => o.violations)).toEqual([
      ['unknown-port', 'unexpected-width', 'log-before-magic', 'build-before-product'],
    ]);
    const options = { profile: 'qemu-traditional' as const, idleGapMs: 5_000 };
    const run = (previous: StoredLogLine | null, b1Accesses: StoredAccess[]) => {
      const first = recordedAccesses(b0.accesses, b0.lines, false);
      return replay(
        {
          earlierBoots: [{ accesses: first, resetUs: first.at(-1)!.t }],
          accesses: recordedAccesses(b1Accesses, b1.lines, false, previous),
          outcomes: b1.outcomes,
        },
        options,
      );
    };
    expect(run(b0.lines.at(-1)!, b1.accesses).differences).toEqual([]);
    // Not spilled, and the carried byte: a line whose bytes were all 1-byte writes after the
    // reset is rebuilt without the 'J' its reset-flushed predecessor already replays.
    const carriedOnly = recordedAccesses([], [{ ...b1.lines[0]!, seq: 5 }], false, b0.lines[0]!);
    expect(carriedOnly.map((a) => a.value)).toEqual([0x51, 0x52, NEWLINE]);
    // Control: without the previous boot's line the 'J' would be replayed a second time.
    const again = recordedAccesses([], [{ ...b1.lines[0]!, seq: 5 }], false, null);
    expect(again.map((a) => a.value)).toEqual([0x4a, 0x51, 0x52, NEWLINE]);
  });
});
