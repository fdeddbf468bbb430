/** A benchmark reports measured rates; the runner prints them and writes them to bench/results.json. */
export interface Measurement {
  /** What was measured, e.g. "kafka produce (200 B messages)". */
  name: string;
  value: number;
  unit: string;
  /** Free-form context: sample sizes, batch sizes, spread. */
  detail?: string;
}

export interface Benchmark {
  name: string;
  run(): Promise<Measurement[]>;
}

export function rate(count: number, startedNs: bigint): number {
  const seconds = Number(process.hrtime.bigint() - startedNs) / 1e9;
  return count / seconds;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
