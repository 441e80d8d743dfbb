/**
 * A sandbox worker thread (see `code-sandbox.ts`): loads the QuickJS module once, then runs one
 * script per message, each on a fresh stage (runtime and context, `code-sandbox-stage.ts`), and
 * answers with the reply before it disposes the stage, so the caller does not wait for the clean-up.
 * A run that left the module in doubt gets a new module before the next one.
 */
import { parentPort } from 'node:worker_threads';
import { loadQuickJs, type SandboxJob } from './code-sandbox.ts';
import { closeStage, runStaged } from './code-sandbox-stage.ts';

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

port.on('message', async (message: { type: 'run'; job: SandboxJob }) => {
  const run = runStaged(await quickjs, message.job);
  port.postMessage({ type: 'done', reply: run.reply });
  if (run.broken || !run.stage || !closeStage(run.stage)) quickjs = loadQuickJs({ fresh: true });
});

await quickjs;
port.postMessage({ type: 'ready' });
