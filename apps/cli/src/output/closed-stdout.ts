/**
 * A reader that goes away (`magicport … | head -1`) is the normal end of a Unix pipeline, not a
 * failure: like other tools, leave quietly with exit 0 instead of Node's `write EPIPE` stack.
 * Installed once by main; every command that prints gets it.
 */
export function endQuietlyWhenOutputCloses(): void {
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE' || error.code === 'ERR_STREAM_DESTROYED') process.exit(0);
    throw error;
  });
  // Nothing useful can be said once stderr is gone; do not let it crash the command either.
  process.stderr.on('error', () => undefined);
}
