import { ClickHouseError } from '@clickhouse/client';
import { describe, expect, it } from 'vitest';
import { asClickHouseError, classifyFailure, StoreError } from '@magicport/store';

function systemError(code: string, message = `connect ${code} 10.0.0.5:8123`): Error {
  return Object.assign(new Error(message), { code });
}

// chDB throws errors of its own bundled copy of the class: same name, different identity.
class ForeignClickHouseError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly type: string,
  ) {
    super(message);
  }
}
Object.defineProperty(ForeignClickHouseError, 'name', { value: 'ClickHouseError' });

describe('classifyFailure', () => {
  it('treats a refused or unresolvable connection as never sent', () => {
    expect(classifyFailure(systemError('ECONNREFUSED'))).toBe('unsent');
    expect(classifyFailure(systemError('EAI_AGAIN'))).toBe('unsent');
  });

  it('treats resets, timeouts and gateway failures as transient', () => {
    expect(classifyFailure(systemError('ECONNRESET'))).toBe('transient');
    expect(classifyFailure(systemError('ETIMEDOUT'))).toBe('transient');
    expect(classifyFailure(new Error('Timeout error.'))).toBe('transient');
    expect(classifyFailure(new Error('socket hang up'))).toBe('transient');
    expect(classifyFailure(new Error('<html><h1>503 Service Unavailable</h1></html>'))).toBe(
      'transient',
    );
  });

  it('classifies ClickHouse exceptions by type, from either copy of the class', () => {
    const tooMany = new ClickHouseError({
      message: 'Too many parts',
      code: '252',
      type: 'TOO_MANY_PARTS',
    });
    const foreign = new ForeignClickHouseError('limit', '159', 'TIMEOUT_EXCEEDED');
    expect(foreign).not.toBeInstanceOf(ClickHouseError);
    expect(classifyFailure(tooMany)).toBe('transient');
    expect(classifyFailure(foreign)).toBe('transient');
    expect(classifyFailure(new ForeignClickHouseError('x', '62', 'SYNTAX_ERROR'))).toBe(
      'permanent',
    );
    expect(
      classifyFailure(new ClickHouseError({ message: 'x', code: '60', type: 'UNKNOWN_TABLE' })),
    ).toBe('permanent');
  });

  it('treats everything else as permanent', () => {
    expect(classifyFailure(new Error('Cannot parse input'))).toBe('permanent');
    expect(classifyFailure(systemError('ENOENT'))).toBe('permanent');
    expect(classifyFailure('a string')).toBe('permanent');
    expect(classifyFailure(undefined)).toBe('permanent');
  });
});

describe('asClickHouseError', () => {
  it('reads code and type, and ignores errors without them', () => {
    expect(asClickHouseError(new ForeignClickHouseError('m', '60', 'UNKNOWN_TABLE'))).toEqual({
      message: 'm',
      code: '60',
      type: 'UNKNOWN_TABLE',
    });
    expect(asClickHouseError(systemError('ECONNRESET'))).toBeUndefined();
  });
});

describe('StoreError', () => {
  it('says what failed, where, how often, and keeps the cause', () => {
    const cause = new ClickHouseError({
      message: 'Unknown table x',
      code: '60',
      type: 'UNKNOWN_TABLE',
    });
    const err = new StoreError(
      {
        operation: 'query',
        target: 'embedded chDB at /d (database magicport)',
        attempts: 1,
        tag: 'fleet-builds',
        statement: 'SELECT *\n   FROM x\n WHERE vm = {vm:UUID}',
      },
      cause,
    );
    expect(err.message).toBe(
      'ClickHouse query [fleet-builds] failed on embedded chDB at /d (database magicport): Unknown table x\n' +
        '  statement: SELECT * FROM x WHERE vm = {vm:UUID}',
    );
    expect(err.cause).toBe(cause);
    expect([err.clickhouseCode, err.clickhouseType, err.kind]).toEqual([
      '60',
      'UNKNOWN_TABLE',
      'permanent',
    ]);
  });

  it('counts attempts and shortens long statements', () => {
    const err = new StoreError(
      { operation: 'insert', target: 'T', attempts: 4, statement: 'x'.repeat(400) },
      systemError('ECONNRESET', 'read ECONNRESET'),
    );
    expect(err.message).toBe(
      `ClickHouse insert failed after 4 attempts on T: read ECONNRESET\n  statement: ${'x'.repeat(300)}…`,
    );
    expect(err.kind).toBe('transient');
  });
});
