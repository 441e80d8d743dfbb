/**
 * The Code node's runner: scripts run in a small pool of worker threads, each holding the QuickJS
 * module (see `sandbox.ts` for a run itself). A worker not back shortly after a run's deadline (a
 * script stuck in one long native call, where QuickJS does not look at its interrupt handler) is
 * terminated and replaced, so a hostile script never blocks the runtime's event loop.
 *
 * The pool has a thread per core (at least 2), and one owner (an integration) runs scripts on at
 * most its share of them ({@link ownerShare}: half, at least 1): its further scripts wait while
 * other owners' scripts run, so one integration's looping scripts cannot stall everyone's.
 */
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import type { CodeError, CodeGlobals, CodeLimits, CodeOutcome, CodeRunner } from '../../core/node/code-sandbox.ts';
import { failed, limitError, loadQuickJs, toJob, toOutcome, type SandboxJob, type SandboxReply } from './code-sandbox.ts';
import { heapSpent } from './code-sandbox-heap.ts';
import { runScript } from './code-sandbox-stage.ts';

/** How long past its deadline a worker may take to answer before it is terminated. */
const KILL_GRACE_MS = 500;
/** Worker threads get a stack this big, so QuickJS's own stack limit (at most 1 MB) trips first. */
const WORKER_STACK_MB = 16;

/** A {@link CodeRunner} that can be shut down. */
export interface SandboxRunner extends CodeRunner {
  close(): Promise<void>;
}

export interface SandboxOptions {
  /**
   * `threads` (default): scripts run in a pool of worker threads, which a script that overstays its
   * deadline cannot block and which are replaced when stuck, and where a script that came before
   * runs on its warm stage (code-sandbox-warm.ts). `inline`: in the calling thread, each run on a
   * fresh runtime and context, no message round trip, but a script stuck in one long native call blocks it.
   */
  mode?: 'threads' | 'inline';
  /** Worker threads in the pool (default: one per core, at least 2). */
  threads?: number;
}

/** Creates a runner. Most callers want the one {@link sharedCodeRunner} of the process. */
export function createCodeRunner(options: SandboxOptions = {}): SandboxRunner {
  if (options.mode === 'inline') {
    return {
      async run(script, globals, limits, keys) {
        const job = toJob(script, globals, limits, keys);
        if (!('script' in job)) return failed(job);
        const quickjs = await loadQuickJs();
        const { reply, broken } = runScript(quickjs, job);
        // a module in doubt, or whose heap grew (it never shrinks): the next run gets a new one
        if (broken || heapSpent(quickjs)) void loadQuickJs({ fresh: true });
        return toOutcome(reply);
      },
      close: async () => {},
    };
  }
  return new WorkerPool(Math.max(1, Math.floor(options.threads ?? Math.max(2, availableParallelism()))));
}

/** The most threads of a pool of `size` one owner's scripts run on at once: half, at least 1. */
export function ownerShare(size: number): number {
  return Math.max(1, Math.floor(size / 2));
}

/** The runner as one owner (an integration) uses it: every script it runs counts in that owner's share. */
export function ownedBy(runner: CodeRunner, owner: string): CodeRunner {
  return { run: (script, globals, limits, keys) => runner.run(script, globals, limits, keys, owner) };
}

let shared: SandboxRunner | undefined;

/** The process's runner, created on first use; its idle workers do not keep the process alive. */
export function sharedCodeRunner(): SandboxRunner {
  return (shared ??= createCodeRunner());
}

interface Pending {
  job: SandboxJob;
  owner?: string;
  resolve(outcome: CodeOutcome): void;
}

interface Slot {
  worker: Worker;
  /** Where runs go to the worker, which takes each when {@link Slot.signal} wakes it (see {@link WorkerPool.dispatch}). */
  jobs: MessagePort;
  /** `[0]`: 1 while a run waits for the worker to take it. */
  signal: Int32Array;
  state: 'starting' | 'idle' | 'busy' | 'gone';
  current?: Pending;
  /** When the current run was handed to the worker. */
  since?: number;
  timer?: NodeJS.Timeout;
}

/** A worker thread can only load the TypeScript entry through tsx's loader, registered first. */
const BOOT = `
const { workerData, parentPort } = require('node:worker_threads');
(async () => {
  if (workerData.tsx) {
    const tsx = await import(workerData.tsx);
    (tsx.register ?? tsx.default.register)();
  }
  await import(workerData.entry);
})().catch((error) => parentPort.postMessage({ type: 'boot_error', message: String((error && error.stack) || error) }));
`;

function bootData(): { entry: string; tsx?: string } {
  // the build (`dist/`) has the compiled worker beside this module, and needs no loader
  if (import.meta.url.endsWith('.js')) return { entry: new URL('./code-sandbox-worker.js', import.meta.url).href };
  const entry = new URL('./code-sandbox-worker.ts', import.meta.url).href;
  try {
    // the ES module build of tsx's API (the CommonJS one cannot register ESM hooks in a worker)
    const tsxDir = path.dirname(createRequire(import.meta.url).resolve('tsx/package.json'));
    return { entry, tsx: pathToFileURL(path.join(tsxDir, 'dist/esm/api/index.mjs')).href };
  } catch {
    return { entry };
  }
}

/** A few threads, each running one script at a time, replaced when a script outstays its welcome. */
class WorkerPool implements SandboxRunner {
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private bootFailures = 0;
  private closed = false;
  private readonly share: number;

  constructor(private readonly size: number) {
    this.share = ownerShare(size);
  }

  run(script: string, globals: CodeGlobals, limits: CodeLimits, keys?: Record<string, string>, owner?: string): Promise<CodeOutcome> {
    const job = toJob(script, globals, limits, keys);
    if (!('script' in job)) return Promise.resolve(failed(job));
    if (this.closed) return Promise.resolve(failed({ kind: 'sandbox', message: 'the sandbox is shut down' }));
    return new Promise((resolve) => {
      this.queue.push({ job, owner, resolve });
      this.pump();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const pending of this.queue.splice(0)) pending.resolve(failed({ kind: 'sandbox', message: 'the sandbox is shut down' }));
    await Promise.all(this.slots.splice(0).map((slot) => this.retire(slot, { kind: 'sandbox', message: 'the sandbox is shut down' })));
  }

  /** Whether a waiting script may start now: its owner runs fewer than its share. */
  private mayStart(pending: Pending): boolean {
    if (pending.owner === undefined) return true;
    let running = 0;
    for (const slot of this.slots) if (slot.state === 'busy' && slot.current?.owner === pending.owner) running++;
    return running < this.share;
  }

  private pump(): void {
    for (;;) {
      // the oldest script whose owner is under its share: the others wait, in order
      const next = this.queue.findIndex((pending) => this.mayStart(pending));
      if (next < 0) return;
      const idle = this.slots.find((slot) => slot.state === 'idle');
      if (idle) {
        const [pending] = this.queue.splice(next, 1);
        this.dispatch(idle, pending);
        continue;
      }
      const starting = this.slots.filter((slot) => slot.state === 'starting').length;
      const startable = this.queue.filter((pending) => this.mayStart(pending)).length;
      if (starting < startable && this.slots.length < this.size) {
        this.spawn();
        continue;
      }
      return;
    }
  }

  private spawn(): void {
    const signal = new Int32Array(new SharedArrayBuffer(4));
    const { port1: jobs, port2: taken } = new MessageChannel();
    const worker = new Worker(BOOT, {
      eval: true,
      execArgv: [],
      workerData: { ...bootData(), signal, jobs: taken },
      transferList: [taken],
      resourceLimits: { stackSizeMb: WORKER_STACK_MB },
    });
    const slot: Slot = { worker, jobs, signal, state: 'starting' };
    this.slots.push(slot);
    worker.on('message', (message: { type: 'ready' } | { type: 'done'; reply: SandboxReply } | { type: 'boot_error'; message: string }) => {
      if (message.type === 'ready') {
        if (slot.state !== 'starting') return;
        this.bootFailures = 0;
        slot.state = 'idle';
        worker.unref();
        this.pump();
      } else if (message.type === 'done') {
        this.settle(slot, toOutcome(message.reply));
      } else {
        this.lose(slot, `the sandbox could not start: ${message.message}`);
      }
    });
    worker.on('error', (error) => this.lose(slot, `the sandbox stopped: ${error.message}`));
    worker.on('exit', (code) => this.lose(slot, `the sandbox stopped (exit code ${code})`));
  }

  private dispatch(slot: Slot, pending: Pending): void {
    slot.state = 'busy';
    slot.current = pending;
    slot.since = performance.now();
    slot.worker.ref();
    slot.timer = setTimeout(() => {
      void this.retire(
        slot,
        limitError(
          'time',
          pending.job.limits,
          {},
          `the script ran longer than ${pending.job.limits.timeoutMs} ms and its sandbox was stopped`,
        ),
      );
      this.pump();
    }, pending.job.limits.timeoutMs + KILL_GRACE_MS);
    // the worker waits on the signal, not in its event loop: waking it through Atomics and letting
    // it take the run from the port itself saves a turn of its loop (some 20–40 µs a run)
    slot.jobs.postMessage({ type: 'run', job: pending.job });
    Atomics.store(slot.signal, 0, 1);
    Atomics.notify(slot.signal, 0);
  }

  private settle(slot: Slot, outcome: CodeOutcome): void {
    if (slot.state !== 'busy' || !slot.current) return;
    clearTimeout(slot.timer);
    const { resolve } = slot.current;
    slot.current = undefined;
    slot.state = 'idle';
    slot.worker.unref();
    resolve(outcome);
    this.pump();
  }

  /** Takes a slot out of the pool, failing its run with `error`. */
  private async retire(slot: Slot, error: CodeError): Promise<void> {
    if (slot.state === 'gone') return;
    slot.state = 'gone';
    clearTimeout(slot.timer);
    const index = this.slots.indexOf(slot);
    if (index >= 0) this.slots.splice(index, 1);
    slot.current?.resolve(failed(error, slot.since === undefined ? 0 : Math.round((performance.now() - slot.since) * 1000) / 1000));
    slot.current = undefined;
    slot.jobs.close();
    await slot.worker.terminate().catch(() => undefined);
  }

  private lose(slot: Slot, message: string): void {
    if (slot.state === 'gone') return;
    const wasStarting = slot.state === 'starting';
    void this.retire(slot, { kind: 'sandbox', message });
    if (wasStarting && ++this.bootFailures >= 3) {
      // the sandbox cannot start at all: say so instead of trying forever
      for (const pending of this.queue.splice(0)) pending.resolve(failed({ kind: 'sandbox', message }));
      this.bootFailures = 0;
      return;
    }
    this.pump();
  }
}
