let probe: Promise<boolean> | undefined;

/**
 * Whether testcontainers finds a working Docker-compatible runtime. Without one
 * `getContainerRuntimeClient()` rejects in milliseconds, so this costs nothing on machines
 * without Docker. Asked once per run, by whichever service needs it first.
 */
export function containerRuntimeAvailable(): Promise<boolean> {
  probe ??= import('testcontainers').then(
    ({ getContainerRuntimeClient }) =>
      getContainerRuntimeClient().then(
        () => true,
        () => false,
      ),
    () => false,
  );
  return probe;
}
