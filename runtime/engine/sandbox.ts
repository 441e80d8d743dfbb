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
 * const outcome = await sharedCodeRunner().run('return { sum: input.a + input.b }', { input: { a: 1, b: 2 }, settings: {} }, CODE_LIMITS);
 * // → { ok: true, value: { sum: 3 }, logs: [], durationMs: 0.3 }
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import {
  newQuickJSWASMModuleFromVariant,
  type QuickJSContext,
  type QuickJSHandle,
  type QuickJSRuntime,
  type QuickJSSyncVariant,
  type QuickJSWASMModule,
} from 'quickjs-emscripten-core';
import releaseSync from '@jitl/quickjs-wasmfile-release-sync';
import { formatPhpDate, httpBuildQuery, phpUrlencode, toDate } from '../../nodes/core/php.ts';
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
  type CodeRunner,
  type DigestEncoding,
  type HashAlgorithm,
} from '../../nodes/core/types.ts';
import { hasher } from './hash.ts';

const KB = 1024;
const MB = 1024 * KB;
/** The file name QuickJS puts in stack traces; positions in it are one line below the script's. */
const FILE = 'code.js';
/** Promise jobs run per batch before the loop looks at the deadline and the promise again. */
const JOB_BATCH = 256;
/** A log line is cut at this length, and a run keeps at most this many lines. */
const LOG_LINE_CHARS = 2000;
const LOG_LINES = 200;
/** How long past its deadline a worker may take to answer before it is terminated. */
const KILL_GRACE_MS = 500;
/** Worker threads get a stack this big, so QuickJS's own stack limit (at most 1 MB) trips first. */
const WORKER_STACK_MB = 16;

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
  | { ok: true; json: string; logs: string[]; durationMs: number }
  | { ok: false; error: CodeError; logs: string[]; durationMs: number };

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

/** Text of a helper argument: strings as they are, objects as JSON, nothing as ''. */
function text(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

const ALGORITHMS: readonly HashAlgorithm[] = ['md5', 'sha1', 'sha256', 'sha512'];

function algorithmOf(value: unknown): HashAlgorithm {
  const name = text(value).toLowerCase().replace('-', '') as HashAlgorithm;
  if (!ALGORITHMS.includes(name)) throw new TypeError(`unknown hash "${text(value)}": use md5, sha1, sha256 or sha512`);
  return name;
}

function encodingOf(value: unknown): DigestEncoding {
  if (value === undefined || value === null || value === '') return 'hex';
  if (value === 'hex' || value === 'base64') return value;
  throw new TypeError(`unknown encoding "${text(value)}": use hex or base64`);
}

/** What `helpers.key(name)` gives the script in place of the key. */
function keyPlaceholder(name: string): string {
  return `\uE000key:${name}\uE001`;
}

/** Text with every key placeholder replaced by its key: only hashing sees keys. */
function withKeys(value: unknown, keys: Record<string, string>): string {
  return text(value).replace(/\uE000key:([^\uE001]*)\uE001/g, (_, name: string) => {
    if (!Object.hasOwn(keys, name)) throw new TypeError(`no signing key "${name}"`);
    return keys[name];
  });
}

function dateOf(value: unknown): Date {
  if (value === undefined || value === null || value === '') return new Date();
  const date = toDate(value);
  if (!date) throw new TypeError(`"${text(value)}" is not a date`);
  return date;
}

/** PHP's `rawurlencode`: RFC 3986, spaces as `%20`, `~` kept. */
function rawUrlencode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}

/**
 * The helpers a script gets, by name: implemented here on the host and exposed one by one, so
 * this list is all a script can reach. Arguments arrive as JSON copies.
 */
export const HELPERS: Record<string, { help: string; run(args: unknown[], keys: Record<string, string>): unknown }> = {
  md5: { help: 'md5(text, encoding = "hex"): the md5 of the text, hex or base64', run: ([data, enc], keys) => hasher.digest('md5', withKeys(data, keys), encodingOf(enc)) },
  sha1: { help: 'sha1(text, encoding = "hex")', run: ([data, enc], keys) => hasher.digest('sha1', withKeys(data, keys), encodingOf(enc)) },
  sha256: { help: 'sha256(text, encoding = "hex")', run: ([data, enc], keys) => hasher.digest('sha256', withKeys(data, keys), encodingOf(enc)) },
  sha512: { help: 'sha512(text, encoding = "hex")', run: ([data, enc], keys) => hasher.digest('sha512', withKeys(data, keys), encodingOf(enc)) },
  hmac: {
    help: 'hmac(algorithm, key, text, encoding = "hex"): HMAC with md5, sha1, sha256 or sha512, hex or base64; key may be helpers.key(name)',
    run: ([algorithm, key, data, enc], keys) => {
      const secret = withKeys(key, keys);
      if (secret === '') throw new TypeError('hmac needs a key');
      return hasher.digest(algorithmOf(algorithm), withKeys(data, keys), encodingOf(enc), secret);
    },
  },
  key: {
    help: "key(name): a stand-in for the signing key of that name (the node's Signing keys); only the hash helpers read it",
    run: ([name], keys) => {
      const wanted = text(name);
      if (!Object.hasOwn(keys, wanted)) {
        const known = Object.keys(keys);
        throw new TypeError(`no signing key "${wanted}": add it to the node's Signing keys${known.length ? ` (it has ${known.join(', ')})` : ''}`);
      }
      return keyPlaceholder(wanted);
    },
  },
  base64Encode: { help: 'base64Encode(text): the UTF-8 bytes of the text in base64', run: ([value]) => Buffer.from(text(value), 'utf8').toString('base64') },
  base64Decode: { help: 'base64Decode(base64): the text the base64 holds (UTF-8)', run: ([value]) => Buffer.from(text(value), 'base64').toString('utf8') },
  urlencode: { help: "urlencode(text): PHP's urlencode (space → +)", run: ([value]) => phpUrlencode(text(value)) },
  rawurlencode: { help: "rawurlencode(text): PHP's rawurlencode (space → %20)", run: ([value]) => rawUrlencode(text(value)) },
  urldecode: { help: "urldecode(text): PHP's urldecode (+ → space)", run: ([value]) => decodeURIComponent(text(value).replace(/\+/g, ' ')) },
  httpBuildQuery: {
    help: "httpBuildQuery(object, { sort: true }): PHP's http_build_query; sort: keys in order first, as ksort does",
    run: ([data, options]) => httpBuildQuery(data, { sort: Boolean((options as { sort?: unknown } | undefined)?.sort) }),
  },
  date: {
    help: 'date(format = "Y-m-d H:i:s", when = now, timeZone = "UTC"): PHP\'s date(); when is a date text or epoch seconds/ms',
    run: ([format, when, zone]) => formatPhpDate(dateOf(when), format === undefined || format === null ? 'Y-m-d H:i:s' : text(format), text(zone) || 'UTC'),
  },
  strtotime: {
    help: 'strtotime(text): epoch seconds of a date text ("2024-05-06 07:08:09" is read as UTC), or null',
    run: ([value]) => {
      const date = toDate(value);
      return date ? Math.floor(date.getTime() / 1000) : null;
    },
  },
  isoDate: {
    help: 'isoDate(when = now): the date as ISO 8601 in UTC ("2024-05-06T07:08:09.000Z"), or null',
    run: ([value]) => (value === undefined ? new Date() : (toDate(value) ?? null))?.toISOString() ?? null,
  },
  time: { help: 'time(): now, in epoch seconds', run: () => Math.floor(Date.now() / 1000) },
  port: {
    help: 'port(name, output): return this to leave by the port named ("out" or "error") with that output',
    run: ([name, output]) => ({ $port: text(name), $output: output ?? null }),
  },
  retry: {
    help: 'retry(reason): return this to stop the flow with a retryable failure (the lead is delivered again later)',
    run: ([reason]) => ({ $retry: text(reason) || 'the script asked for a retry' }),
  },
};

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
function installHelpers(context: QuickJSContext, parse: QuickJSHandle, stringify: QuickJSHandle, state: RunState, own: (h: QuickJSHandle) => QuickJSHandle): QuickJSHandle {
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
      return toGuest(context, parse, helper.run(args.map((arg) => fromGuest(context, stringify, arg)), state.keys));
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

function limitError(name: CodeLimitName, limits: CodeLimits, position: { line?: number; column?: number } = {}, detail?: string): CodeError {
  const param = CODE_LIMIT_PARAMS[name];
  const what = {
    time: `the script ran longer than ${limits.timeoutMs} ms`,
    memory: `the script needed more than ${limits.memoryMb} MB of memory`,
    stack: `the script nested calls deeper than its ${limits.stackKb} KB stack allows (endless recursion?)`,
    output: `the result is more than ${limits.outputKb} KB of JSON`,
  }[name];
  return { kind: 'limit', limit: name, message: `${name}: ${detail ?? what}${at(position)} (the node's ${param} sets this limit)`, ...position };
}

/** Turns what the guest threw into a {@link CodeError}; a limit the run hit wins over the message. */
function describeThrown(context: QuickJSContext, thrown: QuickJSHandle, state: RunState, script: string, kind: 'syntax' | 'exception'): CodeError {
  let name = '';
  let message = '';
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
    return limitError('memory', state.limits, position, /out of memory/.test(message) ? undefined : `the script grew a value past what the sandbox allows (${message})`);
  }
  if (/stack overflow/.test(message) && /^(InternalError|RangeError|SyntaxError)$/.test(name)) return limitError('stack', state.limits, position);
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

function execute(runtime: QuickJSRuntime, context: QuickJSContext, job: SandboxJob, state: RunState, own: <H extends QuickJSHandle>(h: H) => H): string {
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
  if (context.typeof(fn) !== 'function') throw new RunFailure({ kind: 'syntax', message: 'the script closes its function early (unbalanced braces)' });

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
  if (chars > maxBytes) throw new RunFailure(limitError('output', limits, {}, `the result is at least ${Math.ceil(chars / KB)} KB of JSON, more than ${limits.outputKb} KB`));
  const out = context.getString(jsonText);
  const bytes = Buffer.byteLength(out, 'utf8');
  if (bytes > maxBytes) throw new RunFailure(limitError('output', limits, {}, `the result is ${Math.ceil(bytes / KB)} KB of JSON, more than ${limits.outputKb} KB`));
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

function toJob(script: string, globals: CodeGlobals, limits: CodeLimits, keys: Record<string, string> = {}): SandboxJob | CodeError {
  try {
    const json = JSON.stringify([globals.input ?? null, globals.lead ?? null, globals.offer ?? null, { settings: globals.settings ?? {} }]);
    return { script: String(script ?? ''), globals: json, limits: normalizeLimits(limits), keys: { ...keys } };
  } catch (error) {
    return { kind: 'result', message: `the node's input cannot be given to the script as JSON: ${(error as Error).message}` };
  }
}

function toOutcome(reply: SandboxReply): CodeOutcome {
  if (!reply.ok) return reply;
  return { ok: true, value: JSON.parse(reply.json) as unknown, logs: reply.logs, durationMs: reply.durationMs };
}

function failed(error: CodeError, durationMs = 0): CodeOutcome {
  return { ok: false, error, logs: [], durationMs };
}

/** A {@link CodeRunner} that can be shut down. */
export interface SandboxRunner extends CodeRunner {
  close(): Promise<void>;
}

export interface SandboxOptions {
  /**
   * `threads` (default): scripts run in a pool of worker threads, which a script that overstays its
   * deadline cannot block and which are replaced when stuck. `inline`: in the calling thread,
   * cheaper by a message round trip, but a script stuck in one long native call blocks it.
   */
  mode?: 'threads' | 'inline';
  /** Worker threads in the pool (default 2). */
  threads?: number;
}

/** Creates a runner. Most callers want the one {@link sharedCodeRunner} of the process. */
export function createCodeRunner(options: SandboxOptions = {}): SandboxRunner {
  if (options.mode === 'inline') {
    return {
      async run(script, globals, limits, keys) {
        const job = toJob(script, globals, limits, keys);
        if (!('script' in job)) return failed(job);
        const { reply, broken } = runScript(await loadQuickJs(), job);
        if (broken) void loadQuickJs({ fresh: true });
        return toOutcome(reply);
      },
      close: async () => {},
    };
  }
  return new WorkerPool(Math.max(1, Math.floor(options.threads ?? 2)));
}

let shared: SandboxRunner | undefined;

/** The process's runner, created on first use; its idle workers do not keep the process alive. */
export function sharedCodeRunner(): SandboxRunner {
  return (shared ??= createCodeRunner());
}

interface Pending {
  job: SandboxJob;
  resolve(outcome: CodeOutcome): void;
}

interface Slot {
  worker: Worker;
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
  const entry = new URL('./sandbox-worker.ts', import.meta.url).href;
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

  constructor(private readonly size: number) {}

  run(script: string, globals: CodeGlobals, limits: CodeLimits, keys?: Record<string, string>): Promise<CodeOutcome> {
    const job = toJob(script, globals, limits, keys);
    if (!('script' in job)) return Promise.resolve(failed(job));
    if (this.closed) return Promise.resolve(failed({ kind: 'sandbox', message: 'the sandbox is shut down' }));
    return new Promise((resolve) => {
      this.queue.push({ job, resolve });
      this.pump();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const pending of this.queue.splice(0)) pending.resolve(failed({ kind: 'sandbox', message: 'the sandbox is shut down' }));
    await Promise.all(this.slots.splice(0).map((slot) => this.retire(slot, { kind: 'sandbox', message: 'the sandbox is shut down' })));
  }

  private pump(): void {
    while (this.queue.length > 0) {
      const idle = this.slots.find((slot) => slot.state === 'idle');
      if (idle) {
        this.dispatch(idle, this.queue.shift() as Pending);
        continue;
      }
      const starting = this.slots.filter((slot) => slot.state === 'starting').length;
      if (starting < this.queue.length && this.slots.length < this.size) {
        this.spawn();
        continue;
      }
      return;
    }
  }

  private spawn(): void {
    const worker = new Worker(BOOT, {
      eval: true,
      execArgv: [],
      workerData: bootData(),
      resourceLimits: { stackSizeMb: WORKER_STACK_MB },
    });
    const slot: Slot = { worker, state: 'starting' };
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
      void this.retire(slot, limitError('time', pending.job.limits, {}, `the script ran longer than ${pending.job.limits.timeoutMs} ms and its sandbox was stopped`));
      this.pump();
    }, pending.job.limits.timeoutMs + KILL_GRACE_MS);
    slot.worker.postMessage({ type: 'run', job: pending.job });
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
