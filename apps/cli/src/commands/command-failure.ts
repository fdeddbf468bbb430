import { describeError } from '../output';

/**
 * Runs a command's action; a failure becomes one line `NAME: message` on stderr and exit 1,
 * no stack. The action has closed what it opened (try/finally); should anything still hold the
 * event loop, the process ends a few seconds later anyway.
 */
export async function reportFailure(name: string, action: () => Promise<void>): Promise<void> {
  try {
    await action();
  } catch (error) {
    process.stderr.write(`${name}: ${describeError(error)}\n`);
    process.exitCode = 1;
    setTimeout(() => process.exit(1), 5_000).unref();
  }
}
