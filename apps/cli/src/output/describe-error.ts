import { escapeForTerminal } from './escape-text';
import { isSystemError, systemErrorWords } from './system-error-words';

/** One line for an error that reached the top: its message, errno codes in plain words. */
export function describeError(error: unknown): string {
  if (isSystemError(error)) {
    const what = error.path ? `${escapeForTerminal(error.path)}: ` : '';
    return `${what}${systemErrorWords(error)}`;
  }
  return escapeForTerminal(error instanceof Error ? error.message : String(error));
}
