/**
 * Colour only for a person at a terminal: never into a pipe or file, never with NO_COLOR set
 * (https://no-color.org: any non-empty value).
 */
export function colourFor(
  stream: { isTTY?: boolean },
  env: NodeJS.ProcessEnv = process.env,
): boolean {
  return stream.isTTY === true && !env.NO_COLOR;
}

/** cli-table3 styles: its default red headers and grey borders only when colour is on. */
export function tableStyle(colour: boolean): { head: string[]; border: string[] } {
  return colour ? { head: ['cyan'], border: ['grey'] } : { head: [], border: [] };
}
