/**
 * A sandbox worker thread (see `code-sandbox.ts`): loads the QuickJS module once, then runs one
 * script per message, each on a fresh stage (runtime and context, `code-sandbox-stage.ts`), and
 * answers with the reply before it disposes the stage, so the caller does not wait for the clean-up;
 * then it opens the next run's stage while it waits, so a run finds its runtime, context and
 * helpers ready. A run that left the module in doubt gets a new module before the next one.
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

port.on('message', async (message: { type: 'run'; job: SandboxJob }) => {
  const module = await quickjs;
  const { job } = message;
  const run = runStaged(module, job, ready);
  ready = undefined;
  port.postMessage({ type: 'done', reply: run.reply });
  // the caller has its answer: dispose of the run's stage and get the next run's ready
  if (run.broken || !run.stage || !closeStage(run.stage)) {
    quickjs = loadQuickJs({ fresh: true });
    return;
  }
  ready = prepareStage(module, job.limits);
});

await quickjs;
port.postMessage({ type: 'ready' });
