/**
 * A sandbox worker thread (see `code-sandbox.ts`): loads the QuickJS module once, then runs one
 * script per message, each on a fresh stage (runtime and context, `code-sandbox-stage.ts`), and
 * answers with the reply before it disposes the stage, so the caller does not wait for the clean-up;
 * then it opens the next run's stage while it waits (with the script compiled ahead when the same
 * script came twice in a row), so a run finds its runtime, context and helpers ready, and often
 * its function compiled. A run that left the module in doubt gets a new module before the next one.
 */
import { parentPort } from 'node:worker_threads';
import { loadQuickJs, type SandboxJob } from './code-sandbox.ts';
import { closeStage, prepareStage, runStaged, type Stage } from './code-sandbox-stage.ts';

const port = parentPort;
if (!port) throw new Error('code-sandbox-worker.ts runs as a worker thread only');

// QuickJS prints "Aborted(…)" when a runtime a hostile script wrecked cannot be freed; the run has
// reported it already and the module is reloaded, so the line would only alarm whoever reads the log
const printError = console.error.bind(console);
console.error = (...args: unknown[]) => {
  if (typeof args[0] === 'string' && args[0].startsWith('Aborted(')) return;
  printError(...args);
};

let quickjs = loadQuickJs();
/** The next run's stage, opened after the last answer while the worker waits. */
let ready: Stage | undefined;
/** The last run's script, when it compiled: a script seen twice in a row is compiled ahead. */
let previous: string | undefined;

port.on('message', async (message: { type: 'run'; job: SandboxJob }) => {
  const module = await quickjs;
  const { job } = message;
  const run = runStaged(module, job, ready);
  ready = undefined;
  port.postMessage({ type: 'done', reply: run.reply });
  // the caller has its answer: dispose of the run's stage and get the next run's ready
  if (run.broken || !run.stage || !closeStage(run.stage)) {
    quickjs = loadQuickJs({ fresh: true });
    previous = undefined;
    return;
  }
  const repeated = job.script === previous;
  previous = run.reply.ok || run.reply.error.kind !== 'syntax' ? job.script : undefined;
  ready = prepareStage(module, job.limits, repeated ? job.script : undefined);
});

await quickjs;
port.postMessage({ type: 'ready' });
