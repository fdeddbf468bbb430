/** A service the test run uses, how it was obtained, and how to release it at teardown. */
export interface TestService<T> {
  value: T;
  /** One line for the run's output, e.g. "127.0.0.1:40123 (local broker started for this run)". */
  description: string;
  stop(): Promise<void>;
}

export const nothingToStop = async (): Promise<void> => {};

/** Raised for a missing tool or package: the message says what to install. */
export class MissingPrerequisiteError extends Error {
  override name = 'MissingPrerequisiteError';
}
