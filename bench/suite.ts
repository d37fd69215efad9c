/** What every benchmark suite in bench/ exports as `suite`. */
export interface BenchSuite {
  name: string;
  description: string;
  run(ctx: BenchContext): Promise<SuiteResult>;
}

export interface BenchContext {
  /** A line of progress for the person watching. */
  progress(message: string): void;
}

/** Timings of one measured operation, in milliseconds. */
export interface Summary {
  n: number;
  median: number;
  p90: number;
  p99: number;
  min: number;
  max: number;
}

export interface SuiteResult {
  figures: Record<string, Summary>;
  /** Each a median over a baseline's median measured in the same run, named `<figure>/<baseline>`. */
  ratios: Record<string, number>;
}
