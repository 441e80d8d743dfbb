/**
 * The QuickJS host the Code node runs its scripts in (quickjs-emscripten, the release-sync wasm).
 *
 * Isolation: a run gets nothing from the host but JSON copies of its globals and the helper
 * functions listed in `HELPERS` (code-sandbox-helpers.ts). No `require`, no network, no file
 * system, no timers; `eval` and `Function` exist but only ever compile guest code. State cannot
 * outlive a run, in one of two ways:
 * - a fresh QuickJS runtime and context — its own heap, globals and prototypes — for the run
 *   (code-sandbox-stage.ts): a script's first runs, and any script a warm stage cannot serve;
 * - in a worker thread, a script that came before runs on its warm stage (code-sandbox-warm.ts):
 *   one context for that script's runs, its function compiled once, everything in it but a run's
 *   own objects frozen before the script was compiled, and a run that fails there run again on a
 *   fresh stage. The guarantee, and what differs from a fresh context, are in that file.
 *
 * Limits ({@link CodeLimits}, per node): memory (`setMemoryLimit`, which counts allocations in
 * this build, and in bytes the growth of the module's wasm heap: code-sandbox-heap.ts), stack (`setMaxStackSize`),
 * output (the JSON text of the result) and a wall-clock deadline, enforced three ways: QuickJS's
 * interrupt handler (checked while bytecode runs, promise jobs included), the helpers (which refuse
 * to work past it), and a hard stop — scripts run in worker threads, and a worker that is not back
 * shortly after the deadline (a script stuck in one long native call such as a giant sort, where
 * QuickJS does not look at its interrupt handler) is terminated and replaced. So a hostile script
 * never blocks the runtime's event loop, and the next run works.
 *
 * This file holds what a run shares with its runners (the module, jobs and replies, errors, limits);
 * a run itself, in its runtime and context, is code-sandbox-stage.ts.
 *
 * The wasm module is loaded once per worker thread (lazily, a cached promise) and reloaded only if a
 * run left it in doubt (the host stack ran out inside it, or its heap refused to grow) or
 * its heap grew past its rest (code-sandbox-heap.ts).
 *
 * @example
 * const outcome = await sharedCodeRunner().run( // from code-sandbox-pool.ts'return { sum: input.a + input.b }', { input: { a: 1, b: 2 }, settings: {} }, CODE_LIMITS);
 * // → { ok: true, value: { sum: 3 }, logs: [], durationMs: 0.3 }
 */
import {
  newQuickJSWASMModuleFromVariant,
  newVariant,
  type QuickJSContext,
  type QuickJSHandle,
  type QuickJSSyncVariant,
  type QuickJSWASMModule,
} from 'quickjs-emscripten-core';
import releaseSync from '@jitl/quickjs-wasmfile-release-sync';
import {
  CODE_LIMITS,
  CODE_LIMIT_PARAMS,
  CODE_SCRIPT_LINE_OFFSET,
  type CodeError,
  type CodeGlobals,
  type CodeLimitName,
  type CodeLimits,
  type CodeOutcome,
} from '../../core/node/code-sandbox.ts';
import { MAX_MEMORY_MB, attachHeap, newModuleHeap, type ModuleHeap } from './code-sandbox-heap.ts';

export const KB = 1024;
export const MB = 1024 * KB;
/** The file name QuickJS puts in stack traces; positions in it are one line below the script's. */
export const FILE = 'code.js';
/** A log line is cut at this length, and a run keeps at most this many lines. */
const LOG_LINE_CHARS = 2000;
const LOG_LINES = 200;

// ---------------------------------------------------------------------------------------------
// The QuickJS module

let loading: Promise<QuickJSWASMModule> | undefined;

/**
 * The QuickJS wasm module, loaded on first use and cached; `fresh` replaces a module left in doubt
 * (or one whose heap grew: it never shrinks). Each module lives in a heap of its own, bounded in
 * bytes (code-sandbox-heap.ts).
 */
export function loadQuickJs(options: { fresh?: boolean } = {}): Promise<QuickJSWASMModule> {
  if (options.fresh || !loading) {
    const heap = newModuleHeap();
    // the package's types describe its CommonJS build; as an ES module its default export is the variant
    const variant = newVariant(releaseSync as unknown as QuickJSSyncVariant, { wasmMemory: heap.memory });
    loading = newQuickJSWASMModuleFromVariant(variant).then((quickjs) => {
      attachHeap(quickjs, heap);
      return quickjs;
    });
    loading.catch(() => (loading = undefined));
  }
  return loading;
}

// ---------------------------------------------------------------------------------------------
// One run, synchronously, inside the current thread

/** A run as it crosses to a worker: the globals already JSON (`[input, lead, offer, integration]`). */
export interface SandboxJob {
  script: string;
  globals: string;
  limits: CodeLimits;
  /** Signing keys by name; the script only ever holds placeholders for them. */
  keys: Record<string, string>;
}

/** A run's answer as it crosses back: the result still JSON text, parsed by the receiver. */
export type SandboxReply =
  { ok: true; json: string; logs: string[]; durationMs: number } | { ok: false; error: CodeError; logs: string[]; durationMs: number };

/** Thrown out of a run to end it with this error; never seen by scripts. */
export class RunFailure extends Error {
  constructor(readonly error: CodeError) {
    super(error.message);
  }
}

/** The log lines of one run, bounded so a chatty script cannot flood the execution record. */
export class LogBook {
  readonly lines: string[] = [];
  private dropped = 0;

  add(line: string): void {
    if (this.lines.length >= LOG_LINES) this.dropped++;
    else this.lines.push(line.length > LOG_LINE_CHARS ? `${line.slice(0, LOG_LINE_CHARS)}… (${line.length} chars)` : line);
  }

  done(): string[] {
    return this.dropped ? [...this.lines, `… ${this.dropped} more log lines dropped (at most ${LOG_LINES} are kept)`] : this.lines;
  }
}

/** What a run's helpers and interrupt handler read: its keys, deadline, limits and log. */
export interface RunState {
  keys: Record<string, string>;
  deadline: number;
  timedOut: boolean;
  limits: CodeLimits;
  logs: LogBook;
  /** The heap the run's module lives in: once it refused to grow, the run is over (code-sandbox-heap.ts). */
  heap?: ModuleHeap;
}

/** Where in the script an error happened: the first frame in the script, one line up. */
function positionOf(stack: unknown, lineNumber: unknown, script: string): { line?: number; column?: number } {
  const match = typeof stack === 'string' ? new RegExp(`${FILE.replace('.', '\\.')}:(\\d+)(?::(\\d+))?`).exec(stack) : null;
  let line = match ? Number(match[1]) : typeof lineNumber === 'number' ? lineNumber : undefined;
  if (line === undefined) return {};
  // the wrapper's own line: QuickJS points there when it cannot say where in the body (an interrupt)
  if (line <= CODE_SCRIPT_LINE_OFFSET) return {};
  line = Math.min(line - CODE_SCRIPT_LINE_OFFSET, script.split('\n').length);
  return { line, column: match?.[2] ? Number(match[2]) : undefined };
}

function at(position: { line?: number; column?: number }): string {
  if (position.line === undefined) return '';
  return position.column === undefined ? ` (line ${position.line})` : ` (line ${position.line}, column ${position.column})`;
}

export function limitError(
  name: CodeLimitName,
  limits: CodeLimits,
  position: { line?: number; column?: number } = {},
  detail?: string,
): CodeError {
  const param = CODE_LIMIT_PARAMS[name];
  const what = {
    time: `the script ran longer than ${limits.timeoutMs} ms`,
    memory: `the script needed more than ${limits.memoryMb} MB of memory`,
    stack: `the script nested calls deeper than its ${limits.stackKb} KB stack allows (endless recursion?)`,
    output: `the result is more than ${limits.outputKb} KB of JSON`,
  }[name];
  return {
    kind: 'limit',
    limit: name,
    message: `${name}: ${detail ?? what}${at(position)} (the node's ${param} sets this limit)`,
    ...position,
  };
}

/** Turns what the guest threw into a {@link CodeError}; a limit the run hit wins over the message. */
export function describeThrown(
  context: QuickJSContext,
  thrown: QuickJSHandle,
  state: RunState,
  script: string,
  kind: 'syntax' | 'exception',
): CodeError {
  // the heap is full: reading the error back would hand the guest memory it has not got
  if (state.heap?.refused) return limitError('memory', state.limits);
  let name = '';
  let message: string;
  let position: { line?: number; column?: number } = {};
  try {
    const value = context.dump(thrown) as unknown;
    if (value !== null && typeof value === 'object' && 'message' in value) {
      const error = value as { name?: unknown; message?: unknown; stack?: unknown; lineNumber?: unknown };
      name = typeof error.name === 'string' ? error.name : 'Error';
      message = String(error.message);
      position = positionOf(error.stack, error.lineNumber, script);
    } else {
      message = `the script threw ${JSON.stringify(value) ?? String(value)}`;
    }
  } catch {
    message = 'the script threw a value that cannot be read';
  }
  if (message.length > 1000) message = `${message.slice(0, 1000)}…`;
  if (state.timedOut) return limitError('time', state.limits, position);
  if (/^(InternalError|RangeError)$/.test(name) && /out of memory|string too long|invalid array length/.test(message)) {
    return limitError(
      'memory',
      state.limits,
      position,
      /out of memory/.test(message) ? undefined : `the script grew a value past what the sandbox allows (${message})`,
    );
  }
  if (/stack overflow/.test(message) && /^(InternalError|RangeError|SyntaxError)$/.test(name))
    return limitError('stack', state.limits, position);
  const label = name ? `${name}: ${message}` : message;
  return { kind, message: `${label}${at(position)}`, ...position };
}

// ---------------------------------------------------------------------------------------------
// Runners

/** Limits as given, completed with the defaults and kept within sane bounds. */
export function normalizeLimits(limits: Partial<CodeLimits> = {}): CodeLimits {
  const pick = (value: unknown, fallback: number, min: number, max: number) => {
    const n = Number(value);
    return Number.isFinite(n) && n > 0 ? Math.min(Math.max(n, min), max) : fallback;
  };
  return {
    memoryMb: pick(limits.memoryMb, CODE_LIMITS.memoryMb, 1, MAX_MEMORY_MB),
    timeoutMs: pick(limits.timeoutMs, CODE_LIMITS.timeoutMs, 1, 60_000),
    stackKb: pick(limits.stackKb, CODE_LIMITS.stackKb, 16, 1024),
    outputKb: pick(limits.outputKb, CODE_LIMITS.outputKb, 1, 64 * 1024),
  };
}

export function toJob(script: string, globals: CodeGlobals, limits: CodeLimits, keys: Record<string, string> = {}): SandboxJob | CodeError {
  try {
    const json = JSON.stringify([globals.input ?? null, globals.lead ?? null, globals.offer ?? null, { settings: globals.settings ?? {} }]);
    return { script: String(script ?? ''), globals: json, limits: normalizeLimits(limits), keys: { ...keys } };
  } catch (error) {
    return { kind: 'result', message: `the node's input cannot be given to the script as JSON: ${(error as Error).message}` };
  }
}

export function toOutcome(reply: SandboxReply): CodeOutcome {
  if (!reply.ok) return reply;
  return { ok: true, value: JSON.parse(reply.json) as unknown, logs: reply.logs, durationMs: reply.durationMs };
}

export function failed(error: CodeError, durationMs = 0): CodeOutcome {
  return { ok: false, error, logs: [], durationMs };
}
