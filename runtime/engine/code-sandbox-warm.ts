/**
 * Warm stages: one QuickJS runtime and context that serves many runs of one script (one version of
 * a Code node), its function compiled once, instead of a fresh runtime, context and compile per run
 * (code-sandbox-stage.ts), which cost three times the run itself.
 *
 * The isolation guarantee, and why it holds:
 * - Nothing shared can change. Before the script is compiled, the lockdown
 *   (code-sandbox-lockdown.ts) freezes every object a script can reach but its own: the global
 *   object, every intrinsic (also those reached through syntax, such as the prototype of async
 *   functions or of iterators), `helpers`, `console`. The script's function is then compiled in
 *   strict mode and frozen; a script that escapes its wrapper (`}); …; (async function () {`) gets
 *   no warm stage (its compiled function must be exactly the wrapper, source for source).
 * - So a run's own objects, created in that run, are all it can change, and the next run cannot
 *   reach them: its arguments are parsed anew from JSON, its scope is a new call of the function,
 *   and every root it could reach them from is frozen.
 * - Nothing left running: every promise job is drained before a run answers; `FinalizationRegistry`,
 *   whose callbacks run whenever the collector gets to them, throws; `Math.random` starts every run
 *   from a new seed. The helpers read the run's keys, deadline and log from the host, per run.
 * - Any run that does not succeed closes the warm stage, and — unless it ran out of time — is run
 *   again, from the start and under the same deadline, on a fresh stage: a script that tries to
 *   change something shared gets a TypeError (strict mode), so it ends with the outcome it has in a
 *   fresh context, as before. Its warm attempt's logs are dropped.
 * - A warm stage serves at most {@link WARM_RUNS} runs, then a new one is built.
 * test/code/warm-isolation.test.ts walks, from a warm run, everything reachable from the global
 * object, `helpers` and what some thirty syntax forms make, and finds nothing unfrozen; a QuickJS
 * that adds an intrinsic reachable only through new syntax needs it added there and to the lockdown.
 *
 * What differs from a fresh context, for a run that succeeds warm: strict-mode semantics that do
 * not throw (`this` is `undefined` in a plain function call, `arguments` does not alias the
 * parameters), a script that catches the TypeError of writing shared state carries on without the
 * write, `Object.getOwnPropertyDescriptor` shows the built-ins' methods as accessors, and
 * `Math.random` is another generator. Timing and the heap are shared (a run's garbage may be
 * collected during the next): not channels a script's data can be read back through, though a run
 * can measure them. The memory limit is the node's plus what the lockdown takes.
 */
import type { QuickJSHandle, QuickJSWASMModule } from 'quickjs-emscripten-core';
import { wrapCodeScript, type CodeLimits } from '../../core/node/code-sandbox.ts';
import { FILE, MB, type SandboxJob, type SandboxReply } from './code-sandbox.ts';
import { boundHeap, unboundHeap } from './code-sandbox-heap.ts';
import { LOCKDOWN } from './code-sandbox-lockdown.ts';
import { closeStage, openStage, runStaged, type Stage, type StagedRun } from './code-sandbox-stage.ts';

/** Runs a warm stage serves before it is replaced (bounds what a runtime accumulates, such as `Symbol.for` keys). */
export const WARM_RUNS = 10_000;
/** How long the lockdown may take (trusted code, a few ms on an idle machine). */
const LOCKDOWN_MS = 1000;
/** How long compiling the script may take, as for a stage compiled ahead (code-sandbox-stage.ts). */
const COMPILE_MS = 100;
/** Warm stages a worker keeps, one per script, the least recently used closed first. */
const WARM_STAGES = 8;
/** Scripts whose runs are counted; beyond, the count starts again. */
const SEEN = 256;

/** Four random 32-bit words, as JSON: where a warm run's `Math.random` starts. */
function randomSeed(): string {
  const word = () => (Math.random() * 0x1_0000_0000) >>> 0;
  return `[${word()},${word()},${word()},${word()}]`;
}

/** Memory the runtime uses now, in bytes (quickjs-emscripten opens a second context in it to say). */
function memoryUsed(stage: Stage): number {
  const usage = stage.runtime.computeMemoryUsage();
  try {
    return Number((stage.context.dump(usage) as { memory_used_size?: unknown }).memory_used_size) || 0;
  } finally {
    usage.dispose();
  }
}

/** Runs the lockdown on a stage no script has touched; `[prepare, whole]`, owned by the stage. */
function lockDown(stage: Stage): [prepare: QuickJSHandle, whole: QuickJSHandle] {
  const { context, owned } = stage;
  const own = <H extends QuickJSHandle>(handle: H): H => {
    owned.push(handle);
    return handle;
  };
  stage.state = { ...stage.state, deadline: performance.now() + LOCKDOWN_MS };
  const lockdown = own(context.unwrapResult(context.evalCode(LOCKDOWN, 'lockdown.js', { strict: true })));
  const made = own(context.unwrapResult(context.callFunction(lockdown, context.undefined, stage.helpers)));
  return [own(context.getProp(made, 0)), own(context.getProp(made, 1))];
}

const lockdownCosts = new WeakMap<QuickJSWASMModule, number>();

/**
 * What the lockdown takes of a runtime's heap, measured once per module on a stage of its own (so
 * that warm stages keep a single context), as QuickJS counts memory in use; its limit counts
 * allocations otherwise (in this build, without `malloc_usable_size`, a few bytes a block), so this
 * errs on the roomy side.
 */
function lockdownCost(quickjs: QuickJSWASMModule, limits: CodeLimits): number {
  let cost = lockdownCosts.get(quickjs);
  if (cost === undefined) {
    const probe = openStage(quickjs, limits);
    try {
      probe.runtime.setMemoryLimit(-1);
      const before = memoryUsed(probe);
      lockDown(probe);
      cost = Math.max(0, memoryUsed(probe) - before);
    } finally {
      closeStage(probe);
    }
    lockdownCosts.set(quickjs, cost);
  }
  return cost;
}

/**
 * Opens a warm stage for `script`: a stage, the lockdown, the script compiled (strict) and checked
 * to be one whole function. Undefined if any of that fails (the script then runs on fresh stages).
 */
export function openWarmStage(
  quickjs: QuickJSWASMModule,
  limits: CodeLimits,
  script: string,
  seed: () => string = randomSeed,
): Stage | undefined {
  let stage: Stage | undefined;
  try {
    const headroom = lockdownCost(quickjs, limits);
    stage = openStage(quickjs, limits);
    const { context, runtime, owned } = stage;
    const own = <H extends QuickJSHandle>(handle: H): H => {
      owned.push(handle);
      return handle;
    };
    runtime.setMemoryLimit(-1);
    const [prepare, whole] = lockDown(stage);
    // compiling runs the code of a script that escapes its wrapper: under the limits of a run
    stage.state = { ...stage.state, deadline: performance.now() + COMPILE_MS };
    runtime.setMemoryLimit(limits.memoryMb * MB + headroom);
    const program = wrapCodeScript(script);
    boundHeap(stage.heap, limits, headroom);
    let compiled;
    let refused = false;
    try {
      compiled = context.evalCode(program, FILE, { strict: true });
    } finally {
      refused = unboundHeap(stage.heap);
    }
    if (refused) throw new Error('the script ran out of memory compiling');
    if (compiled.error) {
      compiled.error.dispose();
      throw new Error('the script does not compile in strict mode');
    }
    const fn = own(compiled.value);
    const checked = own(
      context.unwrapResult(context.callFunction(whole, context.undefined, fn, own(context.newString(program.slice(1, -1))))),
    );
    if (
      context.typeof(checked) !== 'boolean' ||
      context.dump(checked) !== true ||
      stage.state.timedOut ||
      stage.state.logs.lines.length > 0
    )
      throw new Error('the script is not one whole function');
    stage.compiled = { script, fn };
    stage.warm = { prepare, headroom, seed };
    return stage;
  } catch {
    // a module whose heap refused a grow is not disposed into (the worker replaces it; code-sandbox-heap.ts)
    if (stage && !stage.heap?.strained) closeStage(stage);
    return undefined;
  }
}

/** A warm run's outcome: the run, or `fresh` when it must be run again on a fresh stage. */
export type WarmRun = StagedRun | { fresh: true };

function outOfTime(reply: SandboxReply): boolean {
  return !reply.ok && reply.error.kind === 'limit' && reply.error.limit === 'time';
}

/**
 * A worker's warm stages, by script: a script's second run (counted over the last {@link SEEN}
 * scripts) opens one after it has answered, and its runs then take it. A script that cannot have
 * one (it escapes its wrapper, does not compile in strict mode), or whose warm runs fail more than
 * one in ten, runs on fresh stages.
 */
export class WarmStages {
  private readonly stages = new Map<string, { stage: Stage; runs: number }>();
  private readonly seen = new Map<string, { runs: number; warmRuns: number; warmFailures: number; cold: boolean }>();

  constructor(private readonly seed: () => string = randomSeed) {}

  /** Whether `script` has a warm stage now. */
  has(script: string): boolean {
    return this.stages.has(script);
  }

  /**
   * Runs `job` on its script's warm stage; undefined if it has none. `fresh`: the run failed, the
   * stage is closed, and the job must be run again on a fresh stage, under the same `started`.
   */
  run(quickjs: QuickJSWASMModule, job: SandboxJob, started: number): WarmRun | undefined {
    const warm = this.stages.get(job.script);
    if (!warm) return undefined;
    // most recently used last
    this.stages.delete(job.script);
    const run = runStaged(quickjs, job, warm.stage, started);
    const count = this.countOf(job.script);
    count.warmRuns++;
    if (run.broken) {
      this.stages.clear();
      return run;
    }
    if (run.reply.ok && ++warm.runs < WARM_RUNS) {
      this.stages.set(job.script, warm);
      return run;
    }
    const closed = closeStage(warm.stage);
    if (run.reply.ok) return { reply: run.reply, broken: !closed };
    count.warmFailures++;
    if (!closed) {
      this.stages.clear();
      return { reply: run.reply, broken: true };
    }
    return outOfTime(run.reply) ? run : { fresh: true };
  }

  /** After `job` was answered: counts its script, and opens its warm stage if it came often enough. */
  consider(quickjs: QuickJSWASMModule, job: SandboxJob, reply: SandboxReply): void {
    const count = this.countOf(job.script);
    count.runs++;
    if (count.cold || this.stages.has(job.script) || count.runs < 2) return;
    if (!reply.ok && reply.error.kind === 'syntax') return;
    if (count.warmFailures * 10 > count.warmRuns) return;
    const stage = openWarmStage(quickjs, job.limits, job.script, this.seed);
    if (!stage) {
      count.cold = true;
      return;
    }
    this.stages.set(job.script, { stage, runs: 0 });
    if (this.stages.size > WARM_STAGES) {
      const [oldest, { stage: evicted }] = this.stages.entries().next().value!;
      this.stages.delete(oldest);
      closeStage(evicted);
    }
  }

  /** Forgets every warm stage without closing it: the module they live in is being replaced. */
  drop(): void {
    this.stages.clear();
  }

  private countOf(script: string) {
    let count = this.seen.get(script);
    if (!count) {
      if (this.seen.size >= SEEN) this.seen.clear();
      count = { runs: 0, warmRuns: 0, warmFailures: 0, cold: false };
      this.seen.set(script, count);
    }
    return count;
  }
}
