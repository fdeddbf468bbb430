import { runDriver, type DriverRun, type PortAccess, type PortIo } from '@magicport/protocol';

// Expected accesses are spelled out with these, port and value as the source writes them.
export const inB = (port: number): PortAccess => ({ op: 'in', port, size: 1 });
export const inW = (port: number): PortAccess => ({ op: 'in', port, size: 2 });
export const outB = (port: number, value: number): PortAccess => ({
  op: 'out',
  port,
  size: 1,
  value,
});
export const outW = (port: number, value: number): PortAccess => ({
  op: 'out',
  port,
  size: 2,
  value,
});
export const outL = (port: number, value: number): PortAccess => ({
  op: 'out',
  port,
  size: 4,
  value,
});
/** A log line as the guest sends it: one 1-byte write to 0x12 per character. */
export const logLine = (text: string): PortAccess[] =>
  Array.from(text, (c) => outB(0x12, c.charCodeAt(0)));

/** Answers each `in` with the next scripted value; a read past the script fails the test. */
export function scriptedIo(answers: readonly number[]): PortIo & { unread(): number } {
  let next = 0;
  return {
    access(op, port, size) {
      if (op === 'out') return -1;
      const answer = answers[next++];
      if (answer === undefined) throw new Error(`unscripted read #${next} of port ${port}/${size}`);
      return answer;
    },
    unread: () => answers.length - next,
  };
}

/** Runs a driver against scripted answers; returns its accesses without timing. */
export function play<R>(run: DriverRun<R>, answers: readonly number[] = []) {
  const io = scriptedIo(answers);
  const trace = runDriver(run, io);
  const accesses = trace.accesses.map(({ op, port, size, value }): PortAccess =>
    op === 'in' ? { op, port, size } : { op, port, size, value },
  );
  return { result: trace.result, accesses, unread: io.unread() };
}
