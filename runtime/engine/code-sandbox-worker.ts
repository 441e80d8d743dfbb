/**
 * A sandbox worker thread (see `sandbox.ts`): loads the QuickJS module once, then runs one script
 * per message, each in a fresh runtime, and answers with the reply. A run that left the module in
 * doubt gets a new module before the next one.
 */
import { parentPort } from 'node:worker_threads';
import { loadQuickJs, runScript, type SandboxJob } from './code-sandbox.ts';

const port = parentPort;
if (!port) throw new Error('sandbox-worker.ts runs as a worker thread only');

// QuickJS prints "Aborted(…)" when a runtime a hostile script wrecked cannot be freed; the run has
// reported it already and the module is reloaded, so the line would only alarm whoever reads the log
const printError = console.error.bind(console);
console.error = (...args: unknown[]) => {
  if (typeof args[0] === 'string' && args[0].startsWith('Aborted(')) return;
  printError(...args);
};

let quickjs = loadQuickJs();

port.on('message', async (message: { type: 'run'; job: SandboxJob }) => {
  const { reply, broken } = runScript(await quickjs, message.job);
  if (broken) quickjs = loadQuickJs({ fresh: true });
  port.postMessage({ type: 'done', reply });
});

await quickjs;
port.postMessage({ type: 'ready' });
