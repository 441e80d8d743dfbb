/** What a bench scenario is given and what it is: a name (for `--only` and `--profile`) and a run that reports rows. */
import type { MockTarget, RuntimeChild, RuntimeChildOptions } from '../harness.ts';
import type { BenchOptions } from '../options.ts';
import type { FloorChild, FloorOptions } from '../floor/start-floor.ts';
import type { Row } from '../results.ts';
import type { BenchPostgres } from '../postgres.ts';

export interface BenchContext {
  options: BenchOptions;
  /** The mock target every scenario's integrations send to, shared by them. */
  mock: MockTarget;
  /** Starts a runtime of its own for the scenario (profiled when `--profile` names it). */
  startRuntime(options: Omit<RuntimeChildOptions, 'profile'>): Promise<RuntimeChild>;
  /** Starts the hand-written floor (bench/floor/) at the shared mock target (profiled with the scenario). */
  startFloor(options: Omit<FloorOptions, 'profile' | 'targetUrl'>): Promise<FloorChild>;
  /** The run's PostgreSQL server (bench/postgres.ts), started on the first call. */
  postgres(): Promise<BenchPostgres>;
  report(row: Row): void;
}

export interface Scenario {
  name: string;
  run(bench: BenchContext): Promise<void>;
}
