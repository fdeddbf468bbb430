#!/usr/bin/env node
import { buildProgram } from './program';
import { describeError, endQuietlyWhenOutputCloses } from './output';

endQuietlyWhenOutputCloses();
buildProgram()
  .parseAsync(process.argv)
  .catch((error: unknown) => {
    process.stderr.write(`magicport: ${describeError(error)}\n`);
    process.exitCode = 1;
    // Commands close what they opened on the way out; should anything still hold the event loop
    // (a client's retry timer, a socket), a fatal error must still end the process.
    setTimeout(() => process.exit(1), 5_000).unref();
  });
