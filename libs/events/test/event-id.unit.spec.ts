import { describe, expect, it } from 'vitest';
import { eventId, parseEventId } from '@magicport/events';

describe('event ids', () => {
  it('builds {dm}:{seq}', () => {
    expect(eventId('dm-7', 0)).toBe('dm-7:0');
    expect(eventId('host1.dm_3', Number.MAX_SAFE_INTEGER)).toBe('host1.dm_3:9007199254740991');
  });

  it('parses what it builds', () => {
    expect(parseEventId('dm-7:42')).toStrictEqual({ dm: 'dm-7', seq: 42 });
    expect(parseEventId('a:9007199254740991')).toStrictEqual({
      dm: 'a',
      seq: Number.MAX_SAFE_INTEGER,
    });
  });

  it.each([
    'dm-7',
    'dm-7:',
    ':1',
    'dm-7:01',
    'dm-7:-1',
    'dm-7:1.0',
    'dm:7:1',
    '-dm:1',
    'dm-7:9007199254740992',
    ' dm:1',
  ])('parses %j as not an id', (id) => {
    expect(parseEventId(id)).toBeNull();
  });

  it('refuses parts that would make an ambiguous id', () => {
    expect(() => eventId('a:b', 1)).toThrow(
      'stream id must match ^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$, got "a:b"',
    );
    expect(() => eventId('dm', -1)).toThrow('seq must be a safe integer >= 0, got -1');
  });
});
