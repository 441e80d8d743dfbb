/**
 * The bench's command line (see `bench/run.ts`): what to run, how big, how fast the mock target
 * answers. Read once; scenarios get it through their {@link BenchContext}.
 */

export interface BenchOptions {
  /** A smoke run (under a minute) that the whole bench still works; otherwise the measurement. */
  quick: boolean;
  /** How long the mock target waits before it answers, ms. */
  delayMs: number;
  /** Scenario names to run (all when absent). */
  only?: string[];
  /**
   * The scenarios whose runtime (and floor) run under `node --cpu-prof` (bench/profiling.ts):
   * `--profile` alone profiles every scenario run, `--profile a,b` those.
   */
  profile?: string[] | 'all';
  syncRate: number;
  /** Below what delivery keeps up with, so the latencies compared are the work's, not a backlog's. */
  growthRate: number;
  connections: number;
  /**
   * The end-to-end and synchronous scenarios also run on PostgreSQL, with one and with two runtime
   * processes on one database (bench/pg-runtimes.ts): on in a full run unless `--no-postgres`, off
   * in `--quick` unless `--postgres`.
   */
  postgres: boolean;
  /**
   * `--synchronous FULL|NORMAL`: SQLite's `synchronous` for every embedded runtime a scenario does
   * not set itself (the intake scenario's FULL rows do), to A/B a whole scenario; the floor keeps
   * its own. Absent: the runtime's own (NORMAL, the WAL synced off the thread).
   */
  synchronous?: 'FULL' | 'NORMAL';
  /** `growthExecutionsPerLead`: the execution records the growth scenario stores with each of its `growthLeads`. */
  size: { seconds: number; warmup: number; e2eLeads: number; growthLeads: number; growthExecutionsPerLead: number; statusLeads: number };
}

export function readOptions(argv: string[]): BenchOptions {
  const option = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    return i > 0 ? argv[i + 1] : undefined;
  };
  const quick = argv.includes('--quick');
  // --quick stores 2 executions per growth lead, not 5: 500,000 records (2.6 GB, ~17 s of seeding
  // here) would double the smoke run's growth scenario
  const size = quick
    ? { seconds: 2, warmup: 1, e2eLeads: 2_000, growthLeads: 100_000, growthExecutionsPerLead: 2, statusLeads: 20_000 }
    : { seconds: 15, warmup: 3, e2eLeads: 30_000, growthLeads: 1_000_000, growthExecutionsPerLead: 5, statusLeads: 100_000 };
  if (option('growth-leads')) size.growthLeads = Number(option('growth-leads'));
  if (option('executions-per-lead')) size.growthExecutionsPerLead = Number(option('executions-per-lead'));
  if (option('e2e-leads')) size.e2eLeads = Number(option('e2e-leads'));
  const synchronous = option('synchronous');
  if (synchronous !== undefined && synchronous !== 'FULL' && synchronous !== 'NORMAL') {
    throw new Error(`--synchronous: FULL or NORMAL, not "${synchronous}"`);
  }
  return {
    quick,
    delayMs: Number(option('delay') ?? 5),
    only: option('only')?.split(','),
    profile: profileOption(argv),
    syncRate: Number(option('sync-rate') ?? 500),
    growthRate: Number(option('growth-rate') ?? 500),
    connections: 100,
    postgres: argv.includes('--postgres') || (!quick && !argv.includes('--no-postgres')),
    synchronous,
    size,
  };
}

function profileOption(argv: string[]): string[] | 'all' | undefined {
  const i = argv.indexOf('--profile');
  if (i < 0) return undefined;
  const names = argv[i + 1];
  return names === undefined || names.startsWith('--') ? 'all' : names.split(',');
}

/** Whether `--profile` asks for this scenario's profile. */
export function profiled(options: BenchOptions, scenario: string): boolean {
  return options.profile === 'all' || (options.profile?.includes(scenario) ?? false);
}
