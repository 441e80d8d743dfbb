/**
 * The Code node's memory limit bounds bytes (runtime/engine/code-sandbox-heap.ts): QuickJS's own
 * limit counts allocations in this build, so these scripts used to take hundreds of MB before it
 * or the deadline stopped them. Real QuickJS, in worker threads and in this thread (where the
 * module's heap can be read exactly).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { CODE_LIMITS, type CodeOutcome } from '../../core/node/code-sandbox.ts';
import { loadQuickJs, type SandboxJob } from '../../runtime/engine/code-sandbox.ts';
import { HEAP_BASE_MB, HEAP_RESTING_MB, MODULE_HEAP_MB, heapOf, heapSpent, boundHeap } from '../../runtime/engine/code-sandbox-heap.ts';
import { createCodeRunner, type SandboxRunner } from '../../runtime/engine/code-sandbox-pool.ts';
import { openStage, runScript } from '../../runtime/engine/code-sandbox-stage.ts';
import { WarmStages } from '../../runtime/engine/code-sandbox-warm.ts';
import { outputOf, runCode } from './harness.ts';

const MB = 1024 * 1024;
/** The case found: a big string per turn, kept. */
const BIG_STRINGS = 'const kept = [];\nfor (let i = 0; ; i++) kept.push(String(i).repeat(50000));';
/** Many small objects, each a few allocations QuickJS counts as 8 bytes. */
const SMALL_OBJECTS = 'const kept = [];\nfor (let i = 0; ; i++) kept.push({ i, text: "row " + i });';
const MEMORY_ERROR = /^memory: the script needed more than 32 MB of memory/;
const NEXT = 'return { doubled: input.n * 2 };';

async function heapMb(): Promise<number> {
  return heapOf(await loadQuickJs())!.memory.buffer.byteLength / MB;
}

function outcomeOf(run: { ok: boolean; error?: { limit?: string; message: string } }) {
  return run.ok ? 'ok' : `${run.error!.limit ?? '-'}: ${run.error!.message}`;
}

describe("a Code node's memory limit bounds the bytes its worker's heap takes", () => {
  // a worker of its own for each case: a heap grown before would hide what the case takes
  const pools: SandboxRunner[] = [];
  const freshPool = () => {
    const pool = createCodeRunner({ threads: 1 });
    pools.push(pool);
    return pool;
  };
  afterAll(() => Promise.all(pools.map((pool) => pool.close())));

  for (const [name, script] of [
    ['big strings in a loop', BIG_STRINGS],
    ['many small objects', SMALL_OBJECTS],
  ]) {
    it(`${name} fail with code_limit: memory well inside the deadline, the process grows by little, and the next run works`, async () => {
      const pool = freshPool();
      // the worker started and warm, so what the run takes is what the process grows by
      expect(await outputOf(NEXT, { input: { n: 1 }, runner: pool })).toEqual({ doubled: 2 });
      const rssBefore = process.memoryUsage().rss;
      const started = performance.now();
      const { result } = await runCode(script, { runner: pool });
      const elapsedMs = performance.now() - started;
      const grownMb = (process.memoryUsage().rss - rssBefore) / MB;
      expect(result.failure?.code).toBe('code_limit');
      expect(result.failure?.message).toMatch(MEMORY_ERROR);
      expect(elapsedMs).toBeLessThan(CODE_LIMITS.timeoutMs);
      // the heap may grow by the run's 32 MB (it used to grow by ~1 GB, or ~130 MB of small objects)
      expect(grownMb).toBeLessThan(CODE_LIMITS.memoryMb + 32);
      expect(await outputOf(NEXT, { input: { n: 21 }, runner: pool })).toEqual({ doubled: 42 });
    });
  }

  it("a script's warm runs (its third on) are bounded the same way, and its next run works", async () => {
    const script = 'const kept = [];\nfor (let i = 0; i < input.n; i++) kept.push(String(i).repeat(50000));\nreturn kept.length;';
    const pool = freshPool();
    const run = (n: number) => pool.run(script, { input: { n }, settings: {} }, CODE_LIMITS);
    for (let i = 0; i < 3; i++) expect(await run(10)).toMatchObject({ ok: true, value: 10 });
    const rssBefore = process.memoryUsage().rss;
    const started = performance.now();
    const big: CodeOutcome = await run(1e6);
    expect(performance.now() - started).toBeLessThan(CODE_LIMITS.timeoutMs);
    expect(outcomeOf(big)).toMatch(/^memory: memory: the script needed more than 32 MB/);
    // the failed warm attempt is run again on a fresh stage, in the heap the attempt grew
    expect((process.memoryUsage().rss - rssBefore) / MB).toBeLessThan(2 * CODE_LIMITS.memoryMb + 32);
    expect(await run(10)).toMatchObject({ ok: true, value: 10 });
  });
});

describe("the heap's bound, read exactly in this thread", () => {
  const inline = createCodeRunner({ mode: 'inline' });
  const job = (script: string, input: unknown = null, memoryMb = CODE_LIMITS.memoryMb): SandboxJob => ({
    script,
    globals: JSON.stringify([input, null, null, { settings: {} }]),
    limits: { ...CODE_LIMITS, memoryMb },
    keys: {},
  });

  it('a run grows the heap by at most its memory limit, big strings or small objects', async () => {
    for (const script of [BIG_STRINGS, SMALL_OBJECTS]) {
      const quickjs = await loadQuickJs({ fresh: true });
      expect(await heapMb()).toBe(HEAP_BASE_MB);
      const { reply, broken } = runScript(quickjs, job(script));
      expect(outcomeOf(reply)).toMatch(/^memory: memory: the script needed more than 32 MB of memory/);
      expect(await heapMb()).toBeLessThanOrEqual(HEAP_BASE_MB + CODE_LIMITS.memoryMb);
      // a module whose heap refused a grow is in doubt: retired, and the next run works on a new one
      expect(broken).toBe(true);
      expect(heapSpent(quickjs)).toBe(true);
      expect(runScript(await loadQuickJs({ fresh: true }), job(NEXT, { n: 21 })).reply).toMatchObject({ ok: true, json: '{"doubled":42}' });
    }
  });

  it('a smaller limit is a smaller bound, and a larger one gives room in bytes', async () => {
    expect(outcomeOf(runScript(await loadQuickJs({ fresh: true }), job(SMALL_OBJECTS, null, 4)).reply)).toMatch(
      /^memory: memory: the script needed more than 4 MB/,
    );
    expect(await heapMb()).toBeLessThanOrEqual(HEAP_BASE_MB + 4);
    // some 60 MB of strings: more than the default allows, within 128 MB
    const sixty = 'const kept = [];\nfor (let i = 0; i < 1200; i++) kept.push("x".repeat(50000) + i);\nreturn kept.length;';
    expect(outcomeOf(runScript(await loadQuickJs({ fresh: true }), job(sixty)).reply)).toMatch(/^memory: /);
    expect(runScript(await loadQuickJs({ fresh: true }), job(sixty, null, 128)).reply).toMatchObject({ ok: true, json: '1200' });
  });

  it('a heap grown past its rest is given back: the next run gets a new module', async () => {
    await loadQuickJs({ fresh: true });
    const before = await loadQuickJs();
    const sixty = 'const kept = [];\nfor (let i = 0; i < 1200; i++) kept.push("x".repeat(50000) + i);\nreturn kept.length;';
    expect(await inline.run(sixty, { input: null, settings: {} }, { ...CODE_LIMITS, memoryMb: 128 })).toMatchObject({
      ok: true,
      value: 1200,
    });
    expect(heapOf(before)!.memory.buffer.byteLength / MB).toBeGreaterThan(HEAP_RESTING_MB);
    expect(heapSpent(before)).toBe(true);
    expect(await loadQuickJs()).not.toBe(before);
    expect(await heapMb()).toBe(HEAP_BASE_MB);
    expect(await inline.run(NEXT, { input: { n: 21 }, settings: {} }, CODE_LIMITS)).toMatchObject({ ok: true, value: { doubled: 42 } });
  });

  it('no module takes more than its maximum, the largest limit a node may set included', async () => {
    const quickjs = await loadQuickJs({ fresh: true });
    const { reply } = runScript(quickjs, job(BIG_STRINGS, null, 256));
    expect(outcomeOf(reply)).toMatch(/^memory: memory: the script needed more than 256 MB/);
    expect(await heapMb()).toBeLessThanOrEqual(MODULE_HEAP_MB);
    expect(() => heapOf(quickjs)!.memory.grow((MODULE_HEAP_MB * MB) / (64 * 1024))).toThrow(RangeError);
    await loadQuickJs({ fresh: true });
  });

  it('a script that catches its out of memory and goes on is stopped at once, helpers and all', async () => {
    const quickjs = await loadQuickJs({ fresh: true });
    const stubborn =
      'const kept = [];\nfor (;;) {\n  try { kept.push("x".repeat(1e6) + kept.length); }\n  catch (e) { helpers.log(helpers.md5("y".repeat(3000))); }\n}';
    const started = performance.now();
    const { reply, broken } = runScript(quickjs, job(stubborn));
    expect(performance.now() - started).toBeLessThan(CODE_LIMITS.timeoutMs);
    expect(outcomeOf(reply)).toMatch(/^memory: memory: the script needed more than 32 MB/);
    expect(reply.logs).toEqual([]);
    expect(broken).toBe(true);
    expect(runScript(await loadQuickJs({ fresh: true }), job(NEXT, { n: 21 })).reply).toMatchObject({ ok: true, json: '{"doubled":42}' });
  });

  it('warm runs are bounded the same way, and the module a warm run ran out of memory on is retired', async () => {
    const quickjs = await loadQuickJs({ fresh: true });
    const stages = new WarmStages();
    const script = 'const kept = [];\nfor (let i = 0; i < input.n; i++) kept.push({ i, text: "row " + i });\nreturn kept.length;';
    for (let i = 0; i < 2; i++) stages.consider(quickjs, job(script, { n: 10 }), runScript(quickjs, job(script, { n: 10 })).reply);
    expect(stages.has(script)).toBe(true);
    expect(stages.run(quickjs, job(script, { n: 10 }), performance.now())).toMatchObject({ reply: { ok: true, json: '10' } });
    const heapBefore = await heapMb();
    const run = stages.run(quickjs, job(script, { n: 1e8 }), performance.now());
    expect(run).toMatchObject({ broken: true });
    expect(outcomeOf((run as { reply: Parameters<typeof outcomeOf>[0] }).reply)).toMatch(
      /^memory: memory: the script needed more than 32 MB/,
    );
    expect(await heapMb()).toBeLessThanOrEqual(heapBefore + CODE_LIMITS.memoryMb + 1);
    // no fresh rerun on a module in doubt, and no warm stage left on it
    expect(stages.has(script)).toBe(false);
    expect(heapSpent(quickjs)).toBe(true);
    expect(runScript(await loadQuickJs({ fresh: true }), job(script, { n: 10 })).reply).toMatchObject({ ok: true, json: '10' });
  });

  it('a module whose heap refused a grow is retired, even when its run ended cleanly', async () => {
    const quickjs = await loadQuickJs({ fresh: true });
    const stage = openStage(quickjs, CODE_LIMITS);
    stage.state = { ...stage.state, deadline: performance.now() + CODE_LIMITS.timeoutMs };
    boundHeap(stage.heap, CODE_LIMITS);
    stage.context.evalCode('globalThis.kept = [];\nfor (;;) kept.push({ n: kept.length });').error?.dispose();
    expect(stage.heap?.refused).toBe(true);
    // its heap is under the resting size: the refusal alone retires it (a host copy to a failed malloc's NULL writes over its static data)
    expect(heapOf(quickjs)!.memory.buffer.byteLength / MB).toBeLessThanOrEqual(HEAP_RESTING_MB);
    expect(heapSpent(quickjs)).toBe(true);
    await loadQuickJs({ fresh: true });
  });
});
