/**
 * A sandbox worker thread (see `code-sandbox.ts`): loads the QuickJS module once, then runs one
 * script per message, each on a fresh stage (runtime and context, `code-sandbox-stage.ts`), and
 * answers with the reply before it disposes the stage, so the caller does not wait for the clean-up;
 * then it opens the next run's stage while it waits (with the script compiled ahead when the same
 * script came twice in a row), so a run finds its runtime, context and helpers ready, and often
 * its function compiled. A script that came before runs on its warm stage instead
 * (code-sandbox-warm.ts: one locked-down context per script, its function compiled once), and is
 * run again on a fresh stage if it fails there (unless its heap refused to grow: then the module
 * is in doubt and the run ends with the memory error). A run that left the module in doubt (or its heap
 * grown: code-sandbox-heap.ts) gets a new module, and its warm stages are forgotten, before the next one.
 */
import { parentPort, receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import type { QuickJSWASMModule } from 'quickjs-emscripten-core';
import { loadQuickJs, type SandboxJob } from './code-sandbox.ts';
import { heapSpent } from './code-sandbox-heap.ts';
import { closeStage, prepareStage, runStaged, type Stage } from './code-sandbox-stage.ts';
import { WarmStages } from './code-sandbox-warm.ts';

if (!parentPort) throw new Error('code-sandbox-worker.ts runs as a worker thread only');
const port: MessagePort = parentPort;
/** Runs come on `jobs`; `signal[0]` is 1 while one waits (code-sandbox-pool.ts's dispatch). */
const { jobs, signal } = workerData as { jobs: MessagePort; signal: Int32Array };

// QuickJS prints "Aborted(…)" when a runtime a hostile script wrecked cannot be freed; the run has
// reported it already and the module is reloaded, so the line would only alarm whoever reads the log
const printError = console.error.bind(console);
console.error = (...args: unknown[]) => {
  if (typeof args[0] === 'string' && args[0].startsWith('Aborted(')) return;
  printError(...args);
};

let quickjs = loadQuickJs();
/** The module {@link loop} serves runs from; {@link reload} replaces {@link quickjs}, not this. */
let loading = quickjs;
/** The next run's stage, opened after the last answer while the worker waits. */
let ready: Stage | undefined;
/** The last run's script, when it compiled: a script seen twice in a row is compiled ahead. */
let previous: string | undefined;
/** Scripts that came more than once run on a warm stage of their own (code-sandbox-warm.ts). */
const warm = new WarmStages();

/** Runs one job and answers it, then gets the next run's stage ready, or a new module if the heap grew past its rest. */
function serve(module: QuickJSWASMModule, job: SandboxJob): void {
  answer(module, job);
  if (quickjs === loading && heapSpent(module)) reload();
}

function answer(module: QuickJSWASMModule, job: SandboxJob): void {
  const started = performance.now();
  const warmRun = warm.run(module, job, started);
  if (warmRun && !('fresh' in warmRun)) {
    port.postMessage({ type: 'done', reply: warmRun.reply });
    if (warmRun.broken) reload();
    return;
  }
  // no warm stage, or the warm run failed: on a fresh stage, as if the warm attempt never happened
  const run = runStaged(module, job, ready, started);
  ready = undefined;
  port.postMessage({ type: 'done', reply: run.reply });
  // the caller has its answer: dispose of the run's stage and get the next run's ready
  if (run.broken || !run.stage || !closeStage(run.stage)) {
    reload();
    return;
  }
  warm.consider(module, job, run.reply);
  if (warm.has(job.script)) {
    previous = undefined;
    ready = prepareStage(module, job.limits);
    return;
  }
  const repeated = job.script === previous;
  previous = run.reply.ok || run.reply.error.kind !== 'syntax' ? job.script : undefined;
  ready = prepareStage(module, job.limits, repeated ? job.script : undefined);
}

/** A run left the module in doubt: load a new one, and forget what lived in the old. */
function reload(): void {
  quickjs = loadQuickJs({ fresh: true });
  previous = undefined;
  ready = undefined;
  warm.drop();
}

/**
 * Between runs the thread waits on the signal (blocked, its event loop not turning: it has nothing
 * else to do), takes the run from its port and serves it; it leaves the wait only to load a new
 * module, which is asynchronous.
 */
async function loop(): Promise<never> {
  for (;;) {
    loading = quickjs;
    const module = await loading;
    while (quickjs === loading) {
      Atomics.wait(signal, 0, 0);
      Atomics.store(signal, 0, 0);
      const received = receiveMessageOnPort(jobs) as { message: { type: 'run'; job: SandboxJob } } | undefined;
      if (received) serve(module, received.message.job);
    }
  }
}

await quickjs;
port.postMessage({ type: 'ready' });
await loop();
