/** What a bench scenario is given and what it is: a name (for `--only` and `--profile`) and a run that reports rows. */
import type { MockTarget, RuntimeChild, RuntimeChildOptions } from '../harness.ts';
import type { BenchOptions } from '../options.ts';
import type { Row } from '../results.ts';

export interface BenchContext {
  options: BenchOptions;
  /** The mock target every scenario's integrations send to, shared by them. */
  mock: MockTarget;
  /** Starts a runtime of its own for the scenario (profiled when `--profile` names it). */
  startRuntime(options: Omit<RuntimeChildOptions, 'profile'>): Promise<RuntimeChild>;
  report(row: Row): void;
}

export interface Scenario {
  name: string;
  run(bench: BenchContext): Promise<void>;
}
