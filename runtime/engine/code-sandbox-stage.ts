/**
 * One Code node run in QuickJS (see code-sandbox.ts for the isolation and the limits): a *stage* is
 * a fresh runtime and context with the helpers installed, used for exactly one run and then
 * disposed. {@link runScript} opens one, runs the job in it and closes it; a worker thread instead
 * answers first and closes the stage afterwards, and opens the next run's stage while it waits
 * ({@link prepareStage}, with a repeated script compiled on it), all off the caller's path. A
 * warm stage (code-sandbox-warm.ts) is a stage too, locked down, that serves many runs of one script.
 */
import type { QuickJSContext, QuickJSHandle, QuickJSRuntime, QuickJSWASMModule } from 'quickjs-emscripten-core';
import { CODE_LIMITS, wrapCodeScript, type CodeError, type CodeLimits } from '../../core/node/code-sandbox.ts';
import { HELPERS, text } from './code-sandbox-helpers.ts';
import { boundHeap, heapOf, unboundHeap, type ModuleHeap } from './code-sandbox-heap.ts';
import {
  FILE,
  KB,
  LogBook,
  MB,
  RunFailure,
  describeThrown,
  limitError,
  type RunState,
  type SandboxJob,
  type SandboxReply,
} from './code-sandbox.ts';

/** Promise jobs run per batch before the loop looks at the deadline and the promise again. */
const JOB_BATCH = 256;
/** How long compiling a script ahead may take: parsing a long script on a cold or busy thread, not running code. */
const PREPARE_MS = 100;

/** A fresh runtime and context for one run: no script has run in it yet. */
export interface Stage {
  readonly runtime: QuickJSRuntime;
  readonly context: QuickJSContext;
  /** The current run's state; the helpers and the interrupt handler read it through the stage. */
  state: RunState;
  /** Handles to dispose with the stage. */
  readonly owned: QuickJSHandle[];
  /** `JSON.parse` and `JSON.stringify`, taken before any guest code runs, so a script cannot swap them. */
  readonly parse: QuickJSHandle;
  readonly stringify: QuickJSHandle;
  helpers: QuickJSHandle;
  /** The heap of the stage's module, bounded while a script runs or compiles (code-sandbox-heap.ts). */
  readonly heap?: ModuleHeap;
  /** The script compiled on the stage ahead of its run ({@link prepareStage}), if any. */
  compiled?: { script: string; fn: QuickJSHandle };
  /**
   * A warm stage's (code-sandbox-warm.ts) own `JSON.parse`: `prepare` parses `[seed, ...globals]`,
   * re-seeds `Math.random` from `seed()` (JSON of four 32-bit words, new for every run) and gives
   * the globals; `headroom` is what its lockdown takes of the heap, added to each run's memory limit.
   */
  warm?: { prepare: QuickJSHandle; headroom: number; seed(): string };
}

/** A run's outcome, with whether the module may be damaged (`broken`: load it again, do not close the stage). */
export interface StagedRun {
  reply: SandboxReply;
  broken: boolean;
}

/** A stage's state before its run: no keys, and a deadline `budgetMs` away (QuickJS checks it on entering code). */
function idleState(limits: CodeLimits, budgetMs = 0): RunState {
  return { keys: {}, deadline: performance.now() + budgetMs, timedOut: false, limits, logs: new LogBook() };
}

/**
 * Opens a stage: a new runtime and context, the interrupt handler, the helpers. Throws what the
 * wasm throws (the module is then in doubt).
 */
export function openStage(quickjs: QuickJSWASMModule, limits: CodeLimits = CODE_LIMITS): Stage {
  const runtime = quickjs.newRuntime();
  let context: QuickJSContext | undefined;
  try {
    runtime.setMemoryLimit(limits.memoryMb * MB);
    runtime.setMaxStackSize(limits.stackKb * KB);
    context = runtime.newContext();
    const owned: QuickJSHandle[] = [];
    const own = <H extends QuickJSHandle>(handle: H): H => {
      owned.push(handle);
      return handle;
    };
    const json = own(context.getProp(context.global, 'JSON'));
    const stage: Stage = {
      runtime,
      context,
      // no guest code runs before the run; should some, it is interrupted at once
      state: idleState(limits),
      owned,
      parse: own(context.getProp(json, 'parse')),
      stringify: own(context.getProp(json, 'stringify')),
      helpers: context.undefined,
      heap: heapOf(quickjs),
    };
    const heap = stage.heap;
    // a heap that refused to grow ends the run at once (code-sandbox-heap.ts)
    runtime.setInterruptHandler(() => (stage.state.timedOut ||= performance.now() > stage.state.deadline) || heap?.refused === true);
    stage.helpers = installHelpers(stage);
    return stage;
  } catch (error) {
    try {
      context?.dispose();
      runtime.dispose();
    } catch {
      // the module is in doubt anyway
    }
    throw error;
  }
}

/**
 * Opens the stage for a worker's next run while it waits, with `script` compiled on it when given
 * (the worker's scripts repeat: the same flow version, lead after lead). Compiling only creates the
 * script's function — no script code runs, and the stage is still used for one run only. Should a
 * script escape its wrapper (`}); …; (async function () {`), the code outside the function runs at
 * compiling, as it would at the start of its own run, under a short deadline: a stage where that
 * logged, was interrupted or gave no function is dropped for a clean one, and a stage compiled for
 * one script never serves another ({@link runStaged} opens a fresh one then).
 * Undefined if the module failed (the run then opens its own stage and reports why).
 */
export function prepareStage(quickjs: QuickJSWASMModule, limits: CodeLimits, script?: string): Stage | undefined {
  try {
    const stage = openStage(quickjs, limits);
    if (script === undefined) return stage;
    stage.state = idleState(limits, PREPARE_MS);
    boundHeap(stage.heap, limits);
    let compiled;
    try {
      compiled = stage.context.evalCode(wrapCodeScript(script), FILE);
    } finally {
      unboundHeap(stage.heap);
    }
    // a module whose heap refused a grow is not disposed into (the worker replaces it; code-sandbox-heap.ts)
    if (stage.heap?.strained) return undefined;
    if (compiled.error) compiled.error.dispose();
    else {
      stage.owned.push(compiled.value);
      const state = stage.state;
      if (stage.context.typeof(compiled.value) === 'function' && !state.timedOut && state.logs.lines.length === 0) {
        stage.compiled = { script, fn: compiled.value };
        return stage;
      }
    }
    return closeStage(stage) ? openStage(quickjs, limits) : undefined;
  } catch {
    return undefined;
  }
}

/** Disposes a stage after its run; false if that failed (the module is in doubt: load it again). */
export function closeStage(stage: Stage): boolean {
  try {
    for (const handle of stage.owned) if (handle.alive) handle.dispose();
    stage.context.dispose();
    stage.runtime.dispose();
    return true;
  } catch {
    return false;
  }
}

/** Runs one script in a fresh runtime and context. `broken`: the module may be damaged; load it again. */
export function runScript(quickjs: QuickJSWASMModule, job: SandboxJob): StagedRun {
  const run = runStaged(quickjs, job);
  if (run.broken || !run.stage) return run;
  return { reply: run.reply, broken: !closeStage(run.stage) };
}

/**
 * Runs `job` on `stage` if given, else on a stage opened now; the stage comes back to be closed
 * (unless the run is `broken`), which a worker does after it has answered. `started`: when the
 * run's deadline started (a run redone after a failed warm attempt keeps the attempt's).
 */
export function runStaged(
  quickjs: QuickJSWASMModule,
  job: SandboxJob,
  stage?: Stage,
  started = performance.now(),
): StagedRun & { stage?: Stage } {
  // a stage compiled for another script is not this run's: the outer code of a script escaping its
  // wrapper may have run on it, and belongs to that script alone
  if (stage?.compiled && stage.compiled.script !== job.script) {
    if (!closeStage(stage))
      return { reply: sandboxFailure(new Error('a stage could not be closed'), job.limits, idleState(job.limits), started), broken: true };
    stage = undefined;
  }
  if (!stage) {
    try {
      stage = openStage(quickjs, job.limits);
    } catch (error) {
      return { reply: sandboxFailure(error, job.limits, idleState(job.limits), started), broken: true };
    }
  }
  return { ...runOnStage(stage, job, started), stage };
}

/** Runs `job` on a stage no script has run on (or a warm one). Close the stage afterwards unless the run is `broken`. */
function runOnStage(stage: Stage, job: SandboxJob, started = performance.now()): StagedRun {
  const limits = job.limits;
  const state: RunState = {
    keys: job.keys,
    deadline: started + limits.timeoutMs,
    timedOut: false,
    limits,
    logs: new LogBook(),
    heap: stage.heap,
  };
  stage.state = state;
  const finish = (result: { ok: true; json: string } | { ok: false; error: CodeError }): SandboxReply => ({
    ...result,
    logs: state.logs.done(),
    durationMs: Math.round((performance.now() - started) * 1000) / 1000,
  });
  const headroom = stage.warm?.headroom ?? 0;
  try {
    stage.runtime.setMemoryLimit(limits.memoryMb * MB + headroom);
    stage.runtime.setMaxStackSize(limits.stackKb * KB);
    boundHeap(stage.heap, limits, headroom);
    let reply: SandboxReply;
    try {
      reply = finish({ ok: true, json: execute(stage, job) });
    } catch (error) {
      if (!(error instanceof RunFailure)) throw error;
      reply = finish({ ok: false, error: error.error });
    }
    // the heap refused to grow: whatever the script made of its out of memory, it ran out, and the
    // module is in doubt (code-sandbox-heap.ts): the next run gets a new one
    if (stage.heap?.refused) return { reply: finish({ ok: false, error: limitError('memory', limits) }), broken: true };
    return { reply, broken: false };
  } catch (error) {
    // an exception from inside the wasm (the host's stack ran out in a deep native recursion, say)
    // leaves the module mid-operation: report it, and drop the module rather than dispose into it
    return { reply: sandboxFailure(error, limits, state, started), broken: true };
  } finally {
    unboundHeap(stage.heap);
  }
}

function sandboxFailure(error: unknown, limits: CodeLimits, state: RunState, started: number): SandboxReply {
  const overflow = error instanceof RangeError && /call stack/i.test(error.message);
  const failure: CodeError = state.heap?.refused
    ? limitError('memory', limits)
    : overflow
      ? limitError('stack', limits, {}, 'the script nested too deeply for the sandbox (deeply nested data or calls)')
      : state.timedOut
        ? limitError('time', limits)
        : { kind: 'sandbox', message: `the sandbox failed: ${(error as Error)?.message ?? String(error)}` };
  return { ok: false, error: failure, logs: state.logs.done(), durationMs: Math.round((performance.now() - started) * 1000) / 1000 };
}

/**
 * Copies a host value into the guest: primitives directly, the rest as parsed JSON. Strings with
 * NUL go through JSON too: strings cross the wasm boundary NUL-terminated.
 */
function toGuest(context: QuickJSContext, parse: QuickJSHandle, value: unknown): QuickJSHandle {
  if (value === undefined) return context.undefined;
  if (value === null) return context.null;
  if (typeof value === 'string' && !value.includes('\u0000')) return context.newString(value);
  if (typeof value === 'number') return context.newNumber(value);
  if (typeof value === 'boolean') return value ? context.true : context.false;
  const json = context.newString(JSON.stringify(value));
  try {
    return context.unwrapResult(context.callFunction(parse, context.undefined, json));
  } finally {
    json.dispose();
  }
}

/** Copies a guest value out as JSON (so NUL characters survive); what JSON cannot hold is undefined. */
function fromGuest(context: QuickJSContext, stringify: QuickJSHandle, handle: QuickJSHandle): unknown {
  const type = context.typeof(handle);
  if (type === 'number') return context.getNumber(handle);
  if (type === 'boolean' || type === 'undefined') return context.dump(handle);
  const json = context.unwrapResult(context.callFunction(stringify, context.undefined, handle));
  try {
    return context.typeof(json) === 'string' ? (JSON.parse(context.getString(json)) as unknown) : undefined;
  } finally {
    json.dispose();
  }
}

/** The `helpers` object of a stage, and `console` (its methods log like `helpers.log`); they serve whichever run is on it. */
function installHelpers(stage: Stage): QuickJSHandle {
  const { context, parse, stringify, owned } = stage;
  const guard = () => {
    // a loop of costly helper calls could otherwise outrun the interrupt handler's polling; past a
    // refused grow, what a helper hands back could land where malloc failed
    const state = stage.state;
    if (stage.heap?.refused) throw new Error('out of memory');
    if (state.timedOut || performance.now() > state.deadline) {
      state.timedOut = true;
      throw new Error('interrupted');
    }
  };
  const helpers = context.newObject();
  owned.push(helpers);
  for (const [name, helper] of Object.entries(HELPERS)) {
    const fn = context.newFunction(name, (...args) => {
      guard();
      return toGuest(
        context,
        parse,
        helper.run(
          args.map((arg) => fromGuest(context, stringify, arg)),
          stage.state.keys,
        ),
      );
    });
    context.setProp(helpers, name, fn);
    fn.dispose();
  }
  const log = context.newFunction('log', (...args) => {
    guard();
    stage.state.logs.add(args.map((arg) => text(fromGuest(context, stringify, arg))).join(' '));
  });
  owned.push(log);
  context.setProp(helpers, 'log', log);
  const console = context.newObject();
  owned.push(console);
  for (const method of ['log', 'info', 'warn', 'error']) context.setProp(console, method, log);
  context.setProp(context.global, 'console', console);
  return helpers;
}

/** Compiles and runs the job on the stage; its result as JSON text, or a {@link RunFailure}. */
function execute(stage: Stage, job: SandboxJob): string {
  const { runtime, context, state, parse, stringify, helpers } = stage;
  const { limits } = state;
  const own = <H extends QuickJSHandle>(handle: H): H => {
    stage.owned.push(handle);
    return handle;
  };
  const fail = (thrown: QuickJSHandle, kind: 'syntax' | 'exception'): never => {
    throw new RunFailure(describeThrown(context, own(thrown), state, job.script, kind));
  };
  let fn: QuickJSHandle;
  if (stage.compiled?.script === job.script) fn = stage.compiled.fn;
  else {
    const compiled = context.evalCode(wrapCodeScript(job.script), FILE);
    if (compiled.error) return fail(compiled.error, 'syntax');
    fn = own(compiled.value);
  }
  if (context.typeof(fn) !== 'function')
    throw new RunFailure({ kind: 'syntax', message: 'the script closes its function early (unbalanced braces)' });

  const parsed = stage.warm
    ? context.callFunction(stage.warm.prepare, context.undefined, own(context.newString(`[${stage.warm.seed()},${job.globals.slice(1)}`)))
    : context.callFunction(parse, context.undefined, own(context.newString(job.globals)));
  if (parsed.error) return fail(parsed.error, 'exception');
  const globals = own(parsed.value);
  const args = [0, 1, 2, 3].map((i) => own(context.getProp(globals, i)));

  const called = context.callFunction(fn, context.undefined, ...args, helpers);
  if (called.error) return fail(called.error, 'exception');
  const promise = own(called.value);

  let value: QuickJSHandle | undefined;
  while (!value) {
    const settled = context.getPromiseState(promise);
    if (settled.type === 'fulfilled') value = own(settled.value);
    else if (settled.type === 'rejected') return fail(settled.error, 'exception');
    else {
      if (state.timedOut) throw new RunFailure(limitError('time', limits));
      const jobs = runtime.executePendingJobs(JOB_BATCH);
      if (jobs.error) return fail(jobs.error, 'exception');
      // nothing left to run and still pending: nothing ever will settle it
      if (jobs.value === 0) {
        throw new RunFailure({
          kind: 'result',
          message: 'the script never finishes: it awaits a promise nothing will resolve (the sandbox has no timers or network)',
        });
      }
    }
  }

  // promises the script left running still run (its log lines count), under the same deadline
  for (;;) {
    const jobs = runtime.executePendingJobs(JOB_BATCH);
    if (jobs.error) return fail(jobs.error, 'exception');
    if (state.timedOut) throw new RunFailure(limitError('time', limits));
    if (jobs.value === 0) break;
  }

  const text = context.callFunction(stringify, context.undefined, value);
  if (text.error) {
    const error = describeThrown(context, own(text.error), state, job.script, 'exception');
    throw new RunFailure(error.kind === 'limit' ? error : { kind: 'result', message: `the result is not JSON: ${error.message}` });
  }
  const jsonText = own(text.value);
  if (context.typeof(jsonText) !== 'string') {
    state.logs.add('the script returned nothing JSON can hold (undefined, a function): its output is null');
    return 'null';
  }
  const maxBytes = limits.outputKb * KB;
  // UTF-8 has at least one byte per character: refuse before copying a huge string out
  const length = own(context.getProp(jsonText, 'length'));
  const chars = context.getNumber(length);
  if (chars > maxBytes)
    throw new RunFailure(
      limitError('output', limits, {}, `the result is at least ${Math.ceil(chars / KB)} KB of JSON, more than ${limits.outputKb} KB`),
    );
  const out = context.getString(jsonText);
  const bytes = Buffer.byteLength(out, 'utf8');
  if (bytes > maxBytes)
    throw new RunFailure(
      limitError('output', limits, {}, `the result is ${Math.ceil(bytes / KB)} KB of JSON, more than ${limits.outputKb} KB`),
    );
  return out;
}
