import { describe, expect, it } from 'vitest';
import { runCode, outputOf } from './harness.ts';
import { sampleLead } from '../nodes/context.ts';

/** Runs a hostile script and returns the failure it ended with; then checks the next run works. */
async function contained(script: string, params: Record<string, unknown> = {}) {
  const started = performance.now();
  const { result } = await runCode(script, { params });
  const elapsedMs = performance.now() - started;
  // the next run, in the same code sandbox, works
  expect(await outputOf('return { doubled: input.n * 2 }', { input: { n: 21 } })).toEqual({ doubled: 42 });
  expect(result.failure, 'the hostile script should have failed').toBeDefined();
  expect(result.port, "a failure takes no port: the node's onError decides").toBeUndefined();
  return { failure: result.failure!, elapsedMs };
}

describe('hostile Code node scripts are contained, and the next run works', () => {
  it('an endless loop ends at the default 1 s deadline with code_limit: time', async () => {
    const { failure, elapsedMs } = await contained('let n = 0;\nwhile (true) { n++; }');
    expect(failure.code).toBe('code_limit');
    expect(failure.message).toMatch(/^time: the script ran longer than 1000 ms/);
    expect(failure.retryable).toBe(false);
    expect(elapsedMs).toBeGreaterThanOrEqual(990);
    expect(elapsedMs).toBeLessThan(5000);
  });

  it('an endless loop that catches every exception still ends at its deadline', async () => {
    const { failure } = await contained('for (;;) { try { while (true) {} } catch (e) { helpers.log("caught", String(e)) } }', {
      timeoutMs: 200,
    });
    expect(failure.message).toMatch(/^time: /);
  });

  it('an endless loop inside a promise ends at the deadline too', async () => {
    const awaited = await contained('await null;\nawait Promise.resolve().then(() => { while (true) {} });\nreturn 1;', { timeoutMs: 300 });
    expect(awaited.failure.code).toBe('code_limit');
    expect(awaited.failure.message).toMatch(/^time: the script ran longer than 300 ms \(line 2/);
    expect(awaited.elapsedMs).toBeLessThan(3000);
    // a promise left running after the script returned runs too, under the same deadline
    const forgotten = await contained('Promise.resolve().then(() => { while (true) {} });\nreturn 1;', { timeoutMs: 300 });
    expect(forgotten.failure.message).toMatch(/^time: /);
  });

  it('an endless chain of promise jobs ends at the deadline', async () => {
    const { failure } = await contained('const spin = () => Promise.resolve().then(spin);\nawait spin();', { timeoutMs: 300 });
    expect(failure.code).toBe('code_limit');
    expect(failure.message).toMatch(/^(time|memory): /);
  });

  it('a loop of long native calls, which QuickJS does not interrupt, is stopped by terminating its worker', async () => {
    const { failure, elapsedMs } = await contained('const kept = [];\nwhile (true) kept.push(new Array(100000).fill(1));', {
      timeoutMs: 300,
    });
    expect(failure.code).toBe('code_limit');
    expect(failure.message).toMatch(/^(time|memory): /);
    expect(elapsedMs).toBeLessThan(5000);
  });

  it('a script that awaits what never comes fails at once instead of waiting', async () => {
    const { failure, elapsedMs } = await contained('await new Promise(() => {});');
    expect(failure.code).toBe('code_result');
    expect(failure.message).toMatch(/never finishes/);
    expect(elapsedMs).toBeLessThan(1000);
  });

  it('memory growth by string doubling stops with code_limit: memory', async () => {
    // QuickJS keeps `s + s` as a rope, so this one hits the string length cap first…
    const rope = await contained('let s = "x";\nwhile (true) s += s;');
    expect(rope.failure.code).toBe('code_limit');
    expect(rope.failure.message).toMatch(/^memory: .*\(line 2, column \d+\)/);
    // …and one that reads the string makes it real, hitting the 32 MB heap
    const flat = await contained('let s = "x";\nwhile (true) { s = s + s; s.indexOf("y"); }');
    expect(flat.failure.code).toBe('code_limit');
    expect(flat.failure.message).toMatch(/^memory: the script needed more than 32 MB of memory \(line 2/);
  });

  it('a smaller memory limit is honoured', async () => {
    const { failure } = await contained(
      'const rows = [];\nfor (let i = 0; i < 1e6; i++) rows.push({ i, text: "row " + i });\nreturn rows.length;',
      { memoryMb: 4 },
    );
    expect(failure.message).toMatch(/^memory: the script needed more than 4 MB/);
  });

  it('deep recursion stops with code_limit: stack', async () => {
    const { failure } = await contained('function down(n) {\n  return down(n + 1) + 1;\n}\nreturn down(0);');
    expect(failure.code).toBe('code_limit');
    expect(failure.message).toMatch(/^stack: the script nested calls deeper than its 256 KB stack allows.*\(line 2/);
  });

  it('recursion through native code and deeply nested data stop too', async () => {
    const viaMap = await contained('const f = () => [1].map(f);\nreturn f();');
    expect(viaMap.failure.message).toMatch(/^stack: /);
    const viaToString = await contained('const o = { toString() { return String(o) } };\nreturn String(o);');
    expect(viaToString.failure.message).toMatch(/^stack: /);
    const nested = await contained('return eval("[".repeat(200000) + "]".repeat(200000));', { stackKb: 1024 });
    expect(nested.failure.message).toMatch(/^stack: /);
  });

  it('this.constructor.constructor("return process")() finds no process', async () => {
    const { failure } = await contained('return this.constructor.constructor("return process")();');
    expect(failure.code).toBe('code_exception');
    expect(failure.message).toMatch(/ReferenceError: 'process' is not defined \(line 1/);
  });

  it('the globals a script can reach are its own: no process, require, timers, network or host objects', async () => {
    const seen = await outputOf(`
      const global = Function('return this')();
      const names = ['process', 'require', 'module', 'Buffer', 'setTimeout', 'setInterval', 'setImmediate', 'fetch',
        'XMLHttpRequest', 'WebSocket', 'importScripts', 'Deno', 'Bun', 'std', 'os', 'global'];
      return {
        types: Object.fromEntries(names.map((name) => [name, typeof global[name]])),
        sameGlobal: global === globalThis,
        helperSource: String(helpers.md5),
        viaHelper: helpers.md5.constructor('return typeof process')(),
      };
    `);
    const { types, sameGlobal, helperSource, viaHelper } = seen as {
      types: Record<string, string>;
      sameGlobal: boolean;
      helperSource: string;
      viaHelper: string;
    };
    expect(
      Object.values(types).every((type) => type === 'undefined'),
      JSON.stringify(types),
    ).toBe(true);
    expect(sameGlobal).toBe(true);
    // a host function is opaque: its constructor is the guest's own Function
    expect(helperSource).not.toMatch(/hasher|digest/);
    expect(viaHelper).toBe('undefined');
  });

  it('changing prototypes and built-ins changes nothing on the host, nor in the next run', async () => {
    const hostPush = Array.prototype.push;
    await outputOf(`
      Object.prototype.polluted = 'yes';
      Array.prototype.push = function () { return 'hijacked' };
      JSON.parse = () => ({ hijacked: true });
      JSON.stringify = () => '"hijacked"';
      Object.defineProperty(Object.prototype, 'toJSON', { value: undefined, writable: true, configurable: true });
      globalThis.helpers = null;
      return { done: true };
    `);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
    expect(Array.prototype.push).toBe(hostPush);
    expect(JSON.parse('{"a":1}')).toEqual({ a: 1 });
    const next = await outputOf(
      'const list = []; list.push(1); return { polluted: ({}).polluted ?? null, list, parsed: JSON.parse("[2]") };',
    );
    expect(next).toEqual({ polluted: null, list: [1], parsed: [2] });
  });

  it("a script that rewrites its own result's JSON still cannot hand back anything but JSON", async () => {
    const output = await outputOf('JSON.stringify = () => "not json {"; return { fine: true };');
    expect(output).toEqual({ fine: true });
  });

  it('a huge output stops with code_limit: output', async () => {
    const { failure } = await contained('return { text: "x".repeat(3 * 1024 * 1024) };');
    expect(failure.code).toBe('code_limit');
    expect(failure.message).toMatch(/^output: the result is at least 3073 KB of JSON, more than 1024 KB/);
    const small = await contained('return "é".repeat(600);', { outputKb: 1 });
    // 600 characters, but 1200 bytes of UTF-8
    expect(small.failure.message).toMatch(/^output: the result is 2 KB of JSON, more than 1 KB/);
  });

  it('a result that is not JSON is refused with a clear error', async () => {
    const { failure } = await contained('const a = {}; a.self = a; return a;');
    expect(failure.code).toBe('code_result');
    expect(failure.message).toMatch(/^the result is not JSON: TypeError: circular reference/);
  });

  it('a script cannot keep state between two leads', async () => {
    const script = `
      globalThis.count = (globalThis.count ?? 0) + 1;
      Object.prototype.lastLead ??= null;
      const previous = ({}).lastLead;
      Object.prototype.lastLead = lead.id;
      helpers.remembered = helpers.remembered ?? lead.id;
      return { count, previous, remembered: helpers.remembered };
    `;
    const first = await outputOf(script, { lead: sampleLead({ id: 1 }) });
    const second = await outputOf(script, { lead: sampleLead({ id: 2 }) });
    expect(first).toEqual({ count: 1, previous: null, remembered: 1 });
    expect(second).toEqual({ count: 1, previous: null, remembered: 2 });
  });

  it('a script stuck in a loop does not block the host: its timers keep firing meanwhile', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 10);
    try {
      const { result } = await runCode('while (true) {}', { params: { timeoutMs: 500 } });
      expect(result.failure?.code).toBe('code_limit');
    } finally {
      clearInterval(timer);
    }
    expect(ticks).toBeGreaterThan(10);
  });

  it('many hostile runs in a row leave the code sandbox working', async () => {
    const scripts = [
      'while (true) {}',
      'let s = "x"; while (true) { s += s; s.indexOf("y"); }',
      'const f = () => f(); f();',
      'throw new Error("boom")',
    ];
    for (let round = 0; round < 3; round++) {
      for (const script of scripts) {
        const { result } = await runCode(script, { params: { timeoutMs: 100 } });
        expect(result.failure).toBeDefined();
      }
    }
    expect(await outputOf('return lead.id', { lead: sampleLead({ id: 7 }) })).toBe(7);
  });
});
