/**
 * The QuickJS host the Code node runs its scripts in (quickjs-emscripten, the release-sync wasm).
 *
 * Isolation: every run gets a fresh QuickJS runtime and context — its own heap, globals and
 * prototypes — and nothing from the host but JSON copies of its globals and the helper functions
 * listed in {@link HELPERS}. No `require`, no network, no file system, no timers; `eval` and
 * `Function` exist but only ever compile guest code. State cannot outlive a run.
 *
 * Limits ({@link CodeLimits}, per node): memory (`setMemoryLimit`), stack (`setMaxStackSize`),
 * output (the JSON text of the result) and a wall-clock deadline, enforced three ways: QuickJS's
 * interrupt handler (checked while bytecode runs, promise jobs included), the helpers (which refuse
 * to work past it), and a hard stop — scripts run in worker threads, and a worker that is not back
 * shortly after the deadline (a script stuck in one long native call such as a giant sort, where
 * QuickJS does not look at its interrupt handler) is terminated and replaced. So a hostile script
 * never blocks the runtime's event loop, and the next run works.
 *
 * The wasm module is loaded once per worker thread (lazily, a cached promise) and reloaded only if a
 * run left it in doubt (the host stack ran out inside it).
 *
 * @example
 * const outcome = await sharedCodeRunner().run( // from code-sandbox-pool.ts'return { sum: input.a + input.b }', { input: { a: 1, b: 2 }, settings: {} }, CODE_LIMITS);
 * // → { ok: true, value: { sum: 3 }, logs: [], durationMs: 0.3 }
 */
import {
  newQuickJSWASMModuleFromVariant,
  type QuickJSContext,
  type QuickJSHandle,
  type QuickJSRuntime,
  type QuickJSSyncVariant,
  type QuickJSWASMModule,
} from 'quickjs-emscripten-core';
import releaseSync from '@jitl/quickjs-wasmfile-release-sync';
import {
  CODE_LIMITS,
  CODE_LIMIT_PARAMS,
  CODE_SCRIPT_LINE_OFFSET,
  wrapCodeScript,
  type CodeError,
  type CodeGlobals,
  type CodeLimitName,
  type CodeLimits,
  type CodeOutcome,
} from '../../core/node/code-sandbox.ts';
import { HELPERS, text } from './code-sandbox-helpers.ts';

const KB = 1024;
const MB = 1024 * KB;
/** The file name QuickJS puts in stack traces; positions in it are one line below the script's. */
const FILE = 'code.js';
/** Promise jobs run per batch before the loop looks at the deadline and the promise again. */
const JOB_BATCH = 256;
/** A log line is cut at this length, and a run keeps at most this many lines. */
const LOG_LINE_CHARS = 2000;
const LOG_LINES = 200;

// ---------------------------------------------------------------------------------------------
// The QuickJS module

let loading: Promise<QuickJSWASMModule> | undefined;

/** The QuickJS wasm module, loaded on first use and cached; `fresh` replaces a module left in doubt. */
export function loadQuickJs(options: { fresh?: boolean } = {}): Promise<QuickJSWASMModule> {
  if (options.fresh || !loading) {
    // the package's types describe its CommonJS build; as an ES module its default export is the variant
    loading = newQuickJSWASMModuleFromVariant(releaseSync as unknown as QuickJSSyncVariant);
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
class RunFailure extends Error {
  constructor(readonly error: CodeError) {
    super(error.message);
  }
}

/** The log lines of one run, bounded so a chatty script cannot flood the execution record. */
class LogBook {
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

interface RunState {
  keys: Record<string, string>;
  deadline: number;
  timedOut: boolean;
  limits: CodeLimits;
  logs: LogBook;
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

/** The `helpers` object of one run, and `console` (its methods log like `helpers.log`). */
function installHelpers(
  context: QuickJSContext,
  parse: QuickJSHandle,
  stringify: QuickJSHandle,
  state: RunState,
  own: (h: QuickJSHandle) => QuickJSHandle,
): QuickJSHandle {
  const guard = () => {
    // a loop of costly helper calls could otherwise outrun the interrupt handler's polling
    if (state.timedOut || performance.now() > state.deadline) {
      state.timedOut = true;
      throw new Error('interrupted');
    }
  };
  const helpers = own(context.newObject());
  for (const [name, helper] of Object.entries(HELPERS)) {
    const fn = context.newFunction(name, (...args) => {
      guard();
      return toGuest(
        context,
        parse,
        helper.run(
          args.map((arg) => fromGuest(context, stringify, arg)),
          state.keys,
        ),
      );
    });
    context.setProp(helpers, name, fn);
    fn.dispose();
  }
  const log = own(
    context.newFunction('log', (...args) => {
      guard();
      state.logs.add(args.map((arg) => text(fromGuest(context, stringify, arg))).join(' '));
    }),
  );
  context.setProp(helpers, 'log', log);
  const console = own(context.newObject());
  for (const method of ['log', 'info', 'warn', 'error']) context.setProp(console, method, log);
  context.setProp(context.global, 'console', console);
  return helpers;
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
function describeThrown(
  context: QuickJSContext,
  thrown: QuickJSHandle,
  state: RunState,
  script: string,
  kind: 'syntax' | 'exception',
): CodeError {
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

/** Runs one script in a fresh runtime and context. `broken`: the module may be damaged; load it again. */
export function runScript(quickjs: QuickJSWASMModule, job: SandboxJob): { reply: SandboxReply; broken: boolean } {
  const started = performance.now();
  const limits = job.limits;
  const state: RunState = { keys: job.keys, deadline: started + limits.timeoutMs, timedOut: false, limits, logs: new LogBook() };
  const owned: QuickJSHandle[] = [];
  const own = <H extends QuickJSHandle>(handle: H): H => {
    owned.push(handle);
    return handle;
  };
  const finish = (result: { ok: true; json: string } | { ok: false; error: CodeError }): SandboxReply => ({
    ...result,
    logs: state.logs.done(),
    durationMs: Math.round((performance.now() - started) * 1000) / 1000,
  });
  let runtime: QuickJSRuntime | undefined;
  let context: QuickJSContext | undefined;
  let reply: SandboxReply;
  try {
    runtime = quickjs.newRuntime();
    runtime.setMemoryLimit(limits.memoryMb * MB);
    runtime.setMaxStackSize(limits.stackKb * KB);
    runtime.setInterruptHandler(() => (state.timedOut ||= performance.now() > state.deadline));
    context = runtime.newContext();
    try {
      reply = finish({ ok: true, json: execute(runtime, context, job, state, own) });
    } catch (error) {
      if (!(error instanceof RunFailure)) throw error;
      reply = finish({ ok: false, error: error.error });
    }
  } catch (error) {
    // an exception from inside the wasm (the host's stack ran out in a deep native recursion, say)
    // leaves the module mid-operation: report it, and drop the module rather than dispose into it
    const overflow = error instanceof RangeError && /call stack/i.test(error.message);
    const failure: CodeError = overflow
      ? limitError('stack', limits, {}, 'the script nested too deeply for the sandbox (deeply nested data or calls)')
      : state.timedOut
        ? limitError('time', limits)
        : { kind: 'sandbox', message: `the sandbox failed: ${(error as Error)?.message ?? String(error)}` };
    return { reply: finish({ ok: false, error: failure }), broken: true };
  }
  try {
    for (const handle of owned) if (handle.alive) handle.dispose();
    context.dispose();
    runtime.dispose();
  } catch {
    return { reply, broken: true };
  }
  return { reply, broken: false };
}

function execute(
  runtime: QuickJSRuntime,
  context: QuickJSContext,
  job: SandboxJob,
  state: RunState,
  own: <H extends QuickJSHandle>(h: H) => H,
): string {
  const { limits } = state;
  const fail = (thrown: QuickJSHandle, kind: 'syntax' | 'exception'): never => {
    throw new RunFailure(describeThrown(context, own(thrown), state, job.script, kind));
  };
  // taken before any guest code runs, so a script cannot swap them
  const json = own(context.getProp(context.global, 'JSON'));
  const parse = own(context.getProp(json, 'parse'));
  const stringify = own(context.getProp(json, 'stringify'));

  const compiled = context.evalCode(wrapCodeScript(job.script), FILE);
  if (compiled.error) return fail(compiled.error, 'syntax');
  const fn = own(compiled.value);
  if (context.typeof(fn) !== 'function')
    throw new RunFailure({ kind: 'syntax', message: 'the script closes its function early (unbalanced braces)' });

  const parsed = context.callFunction(parse, context.undefined, own(context.newString(job.globals)));
  if (parsed.error) return fail(parsed.error, 'exception');
  const globals = own(parsed.value);
  const args = [0, 1, 2, 3].map((i) => own(context.getProp(globals, i)));
  const helpers = installHelpers(context, parse, stringify, state, own);

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

// ---------------------------------------------------------------------------------------------
// Runners

/** Limits as given, completed with the defaults and kept within sane bounds. */
export function normalizeLimits(limits: Partial<CodeLimits> = {}): CodeLimits {
  const pick = (value: unknown, fallback: number, min: number, max: number) => {
    const n = Number(value);
    return Number.isFinite(n) && n > 0 ? Math.min(Math.max(n, min), max) : fallback;
  };
  return {
    memoryMb: pick(limits.memoryMb, CODE_LIMITS.memoryMb, 1, 512),
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
