/**
 * schemathesis (PyPI) against the served OpenAPI document, as part of `npm test`: no 5xx and no
 * response that breaks the documented schema (test/api/schemathesis.sh installs it into a local
 * virtualenv on first use; a machine without python3's venv fails here saying what to install).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { expect, it } from 'vitest';

const root = join(__dirname, '..', '..');

it('schemathesis finds no server error and no response outside the documented schema', async () => {
  const child = spawn('sh', [join(root, 'test', 'api', 'schemathesis.sh')], {
    cwd: root,
    env: { ...process.env, NO_COLOR: '1' },
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  expect(code, output.slice(-4000)).toBe(0);
  // It ran cases (not an empty document): the summary counts operations and cases.
  expect(output).toMatch(/Tested: \d+/);
  expect(output).toMatch(/\d+ generated, \d+ passed/);
}, 300_000);
