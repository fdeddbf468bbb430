import { describe, expect, it } from 'vitest';
import { JsonRowsBlock } from '../src/raw/json-rows-block';

describe('JsonRowsBlock', () => {
  it('is the rows joined by newlines, through growth and multi-byte text', () => {
    const block = new JsonRowsBlock(8);
    const rows = [
      '{"text":"ascii"}',
      '{"text":"Grüße – 日本語 🚀"}',
      `{"text":"${'x'.repeat(5_000)}"}`,
      '{}',
    ];
    for (const row of rows) block.append(row);
    expect(block.count).toBe(4);
    expect(block.text()).toBe(rows.join('\n'));
    expect(block.bytes()).toEqual(Buffer.from(rows.join('\n'), 'utf8'));
  });

  it('is the rows joined by newlines across many chunks, read between appends too', () => {
    const block = new JsonRowsBlock(8);
    const rows = Array.from({ length: 5_000 }, (_, i) =>
      i % 7 === 0 ? '' : `{"i":${i},"t":"${'ü'.repeat(i % 13)}${'x'.repeat(i % 50)}"}`,
    );
    for (const row of rows.slice(0, 2_500)) block.append(row);
    expect(block.bytes().toString('utf8')).toBe(rows.slice(0, 2_500).join('\n'));
    for (const row of rows.slice(2_500)) block.append(row);
    expect(block.count).toBe(5_000);
    expect(block.bytes()).toEqual(Buffer.from(rows.join('\n'), 'utf8'));
    expect(block.text()).toBe(rows.join('\n'));
  });

  it('is empty with no rows', () => {
    const block = new JsonRowsBlock();
    expect(block.count).toBe(0);
    expect(block.text()).toBe('');
    expect(block.bytes().length).toBe(0);
  });
});
