/**
 * A warm stage serves many runs of one script in one QuickJS context (code-sandbox-warm.ts): each
 * run here tries every way we know to leave something for the next — globals, prototypes, hidden
 * intrinsics, the helpers, the Symbol registry, promise jobs, finalizers, the random generator — and
 * the next finds none of it. Runs go as a worker runs them: on the warm stage when the script has
 * one, again on a fresh stage when the warm run failed.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { CODE_LIMITS, type CodeLimits } from '../../core/node/code-sandbox.ts';
import { loadQuickJs, toJob, type SandboxJob, type SandboxReply } from '../../runtime/engine/code-sandbox.ts';
import { closeStage, runScript } from '../../runtime/engine/code-sandbox-stage.ts';
import { openWarmStage, WarmStages } from '../../runtime/engine/code-sandbox-warm.ts';
import { createCodeRunner } from '../../runtime/engine/code-sandbox-pool.ts';
import { sampleLead } from '../nodes/context.ts';

function jobOf(
  script: string,
  id: number,
  options: { input?: unknown; keys?: Record<string, string>; limits?: CodeLimits } = {},
): SandboxJob {
  const job = toJob(
    script,
    { input: options.input ?? { id }, lead: sampleLead({ id }), settings: {} },
    options.limits ?? CODE_LIMITS,
    options.keys,
  );
  if (!('script' in job)) throw new Error(job.message);
  return job;
}

/** Runs the job as a worker does; `warm`: whether the warm stage answered. */
async function run(stages: WarmStages, job: SandboxJob): Promise<{ reply: SandboxReply; warm: boolean }> {
  const quickjs = await loadQuickJs();
  const started = performance.now();
  const warm = stages.run(quickjs, job, started);
  if (warm && !('fresh' in warm)) return { reply: warm.reply, warm: true };
  const fresh = runScript(quickjs, job);
  stages.consider(quickjs, job, fresh.reply);
  return { reply: fresh.reply, warm: false };
}

/** The values of `count` runs of `script` for leads 1…count, each on the warm stage from the third on. */
async function warmRuns(stages: WarmStages, script: string, count: number): Promise<unknown[]> {
  const values: unknown[] = [];
  for (let id = 1; id <= count; id++) {
    const { reply, warm } = await run(stages, jobOf(script, id));
    if (!reply.ok) throw new Error(`run ${id} failed: ${reply.error.message}`);
    expect(warm, `run ${id} on the warm stage`).toBe(id > 2);
    values.push({ ...(JSON.parse(reply.json) as object), logs: reply.logs });
  }
  return values;
}

const ATTEMPTS = `
const probe = () => ({
  globals: Reflect.ownKeys(globalThis).map(String).join(),
  leaks: [typeof leak, typeof leakEval, typeof leakFunction, typeof leakLexical],
  polluted: [
    ({}).polluted, [].polluted, ''.polluted, (() => {}).polluted, Object.getPrototypeOf(async function () {}).polluted,
    Object.getPrototypeOf([][Symbol.iterator]()).polluted, Object.getPrototypeOf(new Map().entries()).polluted,
    Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]())).polluted, Object.getPrototypeOf(Int8Array).polluted,
    Object.getPrototypeOf(function* () {}).prototype.polluted, Promise.prototype.polluted, Symbol.prototype.polluted,
  ].map((value) => value ?? null),
  builtins: [[1, 2].map((n) => n * 2), JSON.parse('[3]'), new Error('e').name, typeof Date.now(), typeof Math.random(), Math.random.name],
  shared: [helpers.kept, helpers.md5.kept, console.kept, console.log.kept, Object.prototype[Symbol.for('leak')]].map((value) => value ?? null),
  symbols: Object.getOwnPropertySymbols(Object.prototype).length,
  stack: new Error('here').stack.split('\\n').length,
});
const before = probe();
const id = lead.id;
const attempts = [
  () => { globalThis.leak = id; },
  () => { leak = id; },
  () => { Object.defineProperty(globalThis, 'leak', { value: id }); },
  () => { (0, eval)('var leakEval = ' + id); },
  () => { (0, eval)('leakEval = ' + id); },
  () => { Function('leakFunction = ' + id)(); },
  () => { Function('return this')().leakFunction = id; },
  () => { (0, eval)('let leakLexical = ' + id); },
  () => { Object.prototype.polluted = id; },
  () => { Object.defineProperty(Object.prototype, 'polluted', { get: () => id }); },
  () => { Object.setPrototypeOf(Object.prototype, { polluted: id }); },
  () => { Array.prototype.polluted = id; },
  () => { String.prototype.polluted = id; },
  () => { Function.prototype.polluted = id; },
  () => { Object.getPrototypeOf(async function () {}).polluted = id; },
  () => { Object.getPrototypeOf([][Symbol.iterator]()).polluted = id; },
  () => { Object.getPrototypeOf(new Map().entries()).polluted = id; },
  () => { Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]())).polluted = id; },
  () => { Object.getPrototypeOf(Int8Array).polluted = id; },
  () => { Object.getPrototypeOf(function* () {}).prototype.polluted = id; },
  () => { Promise.prototype.polluted = id; },
  () => { Symbol.prototype.polluted = id; },
  () => { Array.prototype.map = () => 'hijacked'; },
  () => { delete Array.prototype.map; },
  () => { JSON.parse = () => 'hijacked'; },
  () => { Error.prototype.name = 'Hijacked'; },
  () => { Date.now = () => 'hijacked'; },
  () => { Math.random = () => 'hijacked'; },
  () => { Reflect.defineProperty(Object.prototype, 'polluted', { value: id }); },
  () => { helpers.kept = id; },
  () => { helpers.md5.kept = id; },
  () => { helpers.md5 = () => 'hijacked'; },
  () => { console.kept = id; },
  () => { console.log.kept = id; },
  () => { Object.prototype[Symbol.for('leak')] = id; },
  () => { arguments.callee.kept = id; },
  () => { new FinalizationRegistry(() => helpers.log('finalized in a later run')).register({}, id); },
];
// the attempts that did not throw
const quiet = [];
for (const attempt of attempts) {
  try { attempt(); quiet.push(String(attempt).slice(8, -3)); } catch { /* refused */ }
}
// what the run keeps for itself, out of every later run's reach
const mine = new WeakMap([[globalThis, id]]);
Symbol.for('lead ' + id);
Promise.resolve().then(() => helpers.log('a job of lead ' + id));
// assigning an inherited built-in on its own objects still works, as in a fresh context
const error = new Error('mine');
error.name = 'MyError';
const object = {};
object.toString = () => 'mine';
// on a fresh stage (the first two runs) the attempts worked, and may have broken the probe
let after;
try {
  after = probe();
} catch (error) {
  after = String(error);
}
return { before, after, quiet, id, own: [error.name, String(object), mine.get(globalThis)] };
`;

describe('runs of one script on its warm stage', () => {
  it('each finds the shared world as the first run found it, though every run tried every way to change it', async () => {
    const values = (await warmRuns(new WarmStages(), ATTEMPTS, 6)) as {
      before: unknown;
      after: unknown;
      quiet: string[];
      id: number;
      own: unknown[];
      logs: string[];
    }[];
    const first = values[0].before;
    values.forEach((value, n) => {
      expect(value.before, `run ${n + 1} before`).toEqual(first);
      expect(value.id).toBe(n + 1);
      expect(value.own).toEqual(['MyError', 'mine', n + 1]);
      expect(value.logs, 'only its own jobs ran, and all of them').toEqual([`a job of lead ${n + 1}`]);
      // on the warm stage, even within the run nothing shared changed
      if (n >= 2) {
        expect(value.after, `run ${n + 1} after`).toEqual(first);
        // sloppy code's writes to the frozen realm fail silently; the rest are refused with a TypeError
        expect(value.quiet).toEqual([
          "(0, eval)('leakEval = ' + id)",
          "Function('leakFunction = ' + id)()",
          "(0, eval)('let leakLexical = ' + id)",
          "Reflect.defineProperty(Object.prototype, 'polluted', { value: id })",
        ]);
      }
    });
  });

  it('reach nothing that is not frozen but their own objects, by name or through any syntax', async () => {
    const script = `
      const made = {
        arrayIterator: [][Symbol.iterator](), mapIterator: new Map().entries(), setIterator: new Set().values(),
        stringIterator: ''[Symbol.iterator](), regExpStringIterator: /a/g[Symbol.matchAll]('a'),
        // a generator's prototype is its function's own: what is shared starts one further up
        generator: Object.getPrototypeOf((function* () {})()), asyncGenerator: Object.getPrototypeOf((async function* () {})()),
        asyncFunction: async function () {},
        asyncArrow: async () => {}, generatorFunction: function* () {}, asyncGeneratorFunction: async function* () {},
        klass: class {}, arrow: () => {}, plain: function () {}, bound: function () {}.bind(null),
        iteratorHelper: [].values().map((x) => x), wrappedIterator: Iterator.from({ next: () => ({ done: true }) }),
        promise: (async () => {})(), sloppyArguments: Function('return arguments')(),
        strictArguments: (function () { return arguments; })(), error: new TypeError('e'), regExp: /a/, date: new Date(),
        typedArray: new Uint8Array(1), dataView: new DataView(new ArrayBuffer(1)), weakRef: new WeakRef({}),
        collections: [new Map(), new Set(), new WeakMap(), new WeakSet()], symbol: Object(Symbol('s')), bigint: Object(1n),
        proxy: Proxy.revocable({}, {}), template: ((strings) => strings)\`a\${1}b\`,
      };
      const queue = [['globalThis', globalThis], ['helpers', helpers]];
      for (const [name, value] of Object.entries(made)) {
        queue.push([name + ' prototype', Object.getPrototypeOf(value)]);
        for (const key of Reflect.ownKeys(value)) {
          const property = Object.getOwnPropertyDescriptor(value, key);
          queue.push([name + '.' + String(key) + ' get', property.get], [name + '.' + String(key) + ' set', property.set]);
        }
      }
      queue.push(['template', made.template]);
      const seen = new Set();
      const open = [];
      while (queue.length > 0) {
        const [path, value] = queue.pop();
        if (value === null || (typeof value !== 'object' && typeof value !== 'function') || seen.has(value)) continue;
        seen.add(value);
        if (!Object.isFrozen(value)) open.push(path);
        queue.push([path + ' prototype', Object.getPrototypeOf(value)]);
        for (const key of Reflect.ownKeys(value)) {
          const property = Object.getOwnPropertyDescriptor(value, key);
          const at = path + '.' + String(key);
          if ('value' in property) queue.push([at, property.value]);
          else queue.push([at + ' get', property.get], [at + ' set', property.set]);
        }
      }
      return { reached: seen.size, open };
    `;
    const [, , warm] = (await warmRuns(new WarmStages(), script, 3)) as { reached: number; open: string[] }[];
    expect(warm.open).toEqual([]);
    expect(warm.reached).toBeGreaterThan(500);
  });

  it("start Math.random from that run's seed: what a run drew does not move the next run's numbers", async () => {
    const stages = new WarmStages(() => '[11,22,33,44]');
    const script = 'const first = Math.random();\nfor (let i = 1; i < input.draws; i++) Math.random();\nreturn first;';
    const firsts: unknown[] = [];
    for (const [n, draws] of [1, 1, 1, 50, 3, 1].entries()) {
      const { reply, warm } = await run(stages, jobOf(script, n, { input: { draws } }));
      expect(reply.ok).toBe(true);
      if (warm) firsts.push(JSON.parse((reply as { json: string }).json));
    }
    expect(firsts).toHaveLength(4);
    expect(new Set(firsts).size).toBe(1);
    expect(firsts[0]).toBeGreaterThanOrEqual(0);
    expect(firsts[0]).toBeLessThan(1);
  });

  it('sign with their own keys and log to their own log', async () => {
    const stages = new WarmStages();
    const script = "helpers.log('lead', lead.id);\nreturn helpers.hmac('md5', helpers.key('sign'), 'x');";
    const quickjs = await loadQuickJs();
    for (let id = 1; id <= 5; id++) {
      const job = jobOf(script, id, { keys: { sign: `key-${id}` } });
      const { reply, warm } = await run(stages, job);
      expect(warm).toBe(id > 2);
      expect({ ...reply, durationMs: 0 }).toEqual({ ...runScript(quickjs, job).reply, durationMs: 0 });
      expect(reply.logs).toEqual([`lead ${id}`]);
    }
  });
});

describe('a script the warm stage cannot serve as a fresh context would', () => {
  it('writing something shared without catching the refusal: the run is redone on a fresh stage and ends as it does there', async () => {
    const stages = new WarmStages();
    const script = "helpers.log('before the write');\nObject.prototype.polluted = lead.id;\nreturn ({}).polluted;";
    const replies = [];
    for (let id = 1; id <= 4; id++) replies.push(await run(stages, jobOf(script, id)));
    replies.forEach(({ reply }, n) => expect(reply).toMatchObject({ ok: true, json: String(n + 1), logs: ['before the write'] }));
    // its warm run failed once: it runs on fresh stages since
    expect(replies.map(({ warm }) => warm)).toEqual([false, false, false, false]);
    expect(stages.has(script)).toBe(false);
  });

  it('a script that escapes its wrapper or does not compile in strict mode gets no warm stage, and runs as before', async () => {
    const quickjs = await loadQuickJs();
    const scripts = {
      '});\nlet counter = 0;\n(async function () { return counter++;': 0,
      'with ({ a: 1 }) { return a; }': 1,
      'var let = 2;\nreturn let;': 2,
    };
    for (const [script, value] of Object.entries(scripts)) {
      expect(openWarmStage(quickjs, CODE_LIMITS, script), script).toBeUndefined();
      const stages = new WarmStages();
      for (let id = 1; id <= 4; id++) {
        const { reply, warm } = await run(stages, jobOf(script, id));
        expect(warm).toBe(false);
        expect(reply).toMatchObject({ ok: true, json: String(value) });
      }
    }
    // the code outside the wrapper runs while the warm stage compiles it: under a deadline and the run's memory limit
    const started = performance.now();
    const hoarder = '});\nconst kept = [];\nfor (;;) kept.push({ n: kept.length });\n(async function () {';
    expect(openWarmStage(quickjs, { ...CODE_LIMITS, memoryMb: 4 }, hoarder)).toBeUndefined();
    expect(performance.now() - started).toBeLessThan(1000);
    const stage = openWarmStage(quickjs, CODE_LIMITS, 'return 1;');
    expect(stage?.warm).toBeDefined();
    closeStage(stage!);
  });

  it('a warm run that hits its deadline closes the stage, and the jobs it left never run in the next', async () => {
    const stages = new WarmStages();
    const script = `if (input.spin) {
      const spin = () => Promise.resolve().then(() => { helpers.log('spin'); return spin(); });
      spin();
      for (;;) {}
    }
    return 'calm';`;
    for (let id = 1; id <= 3; id++) expect((await run(stages, jobOf(script, id, { input: { spin: false } }))).reply.ok).toBe(true);
    const spun = await run(stages, jobOf(script, 4, { input: { spin: true }, limits: { ...CODE_LIMITS, timeoutMs: 100 } }));
    expect(spun).toMatchObject({ warm: true, reply: { ok: false, error: { kind: 'limit', limit: 'time' } } });
    const next = await run(stages, jobOf(script, 5, { input: { spin: false } }));
    expect(next).toMatchObject({ warm: false, reply: { ok: true, json: '"calm"', logs: [] } });
  });

  it("holds a warm run to the node's memory limit", async () => {
    const stages = new WarmStages();
    const script = 'const rows = [];\nfor (let i = 0; i < input.n; i++) rows.push({ i, text: "row " + i });\nreturn rows.length;';
    const limits = { ...CODE_LIMITS, memoryMb: 4 };
    for (let id = 1; id <= 3; id++)
      expect((await run(stages, jobOf(script, id, { input: { n: 10_000 }, limits }))).reply).toMatchObject({ ok: true, json: '10000' });
    const big = await run(stages, jobOf(script, 4, { input: { n: 1e6 }, limits }));
    expect(big.reply).toMatchObject({ ok: false, error: { kind: 'limit', limit: 'memory' } });
  });
});

describe('a sandbox thread', () => {
  const pool = createCodeRunner({ threads: 1 });
  afterAll(() => pool.close());

  it('runs a script it has run before on a warm stage', async () => {
    const frozen: unknown[] = [];
    for (let id = 1; id <= 4; id++) {
      const outcome = await pool.run('return Object.isFrozen(Array.prototype);', { input: null, settings: {} }, CODE_LIMITS);
      frozen.push(outcome.ok && outcome.value);
    }
    expect(frozen).toEqual([false, false, true, true]);
  });
});
