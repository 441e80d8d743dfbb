import { availableParallelism } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { createCodeRunner, ownedBy, ownerShare, type SandboxRunner } from '../../runtime/engine/code-sandbox-pool.ts';
import { CODE_LIMITS } from '../../core/node/code-sandbox.ts';

const runners: SandboxRunner[] = [];
afterEach(async () => {
  for (const runner of runners.splice(0)) await runner.close();
});

const LOOP = 'for (;;) {}';
const QUICK = 'return input.n + 1';

describe("the Code node's pool shares its threads among integrations", () => {
  it('one integration runs scripts on at most half the threads, at least 1', () => {
    expect(ownerShare(2)).toBe(1);
    expect(ownerShare(3)).toBe(1);
    expect(ownerShare(8)).toBe(4);
    expect(ownerShare(1)).toBe(1);
  });

  it("one integration's looping scripts do not delay another integration's script beyond a small bound", async () => {
    const pool = createCodeRunner({ threads: 2 });
    runners.push(pool);
    const slow = ownedBy(pool, 'slow');
    const fast = ownedBy(pool, 'fast');
    // both threads started, so the bound measures waiting and not booting
    await Promise.all([
      slow.run(QUICK, { input: { n: 1 }, settings: {} }, CODE_LIMITS),
      fast.run(QUICK, { input: { n: 1 }, settings: {} }, CODE_LIMITS),
    ]);

    const limits = { ...CODE_LIMITS, timeoutMs: 1500 };
    const looping = [1, 2, 3].map(() => slow.run(LOOP, { input: null, settings: {} }, limits));
    const started = performance.now();
    const quick = await fast.run(QUICK, { input: { n: 41 }, settings: {} }, CODE_LIMITS);
    const waitedMs = performance.now() - started;

    expect(quick).toMatchObject({ ok: true, value: 42 });
    // the loops hold one thread for 1.5 s each, one after another; the other integration's script is not behind them
    expect(waitedMs).toBeLessThan(400);
    const ended = await Promise.all(looping);
    for (const outcome of ended) expect(outcome).toMatchObject({ ok: false, error: { kind: 'limit', limit: 'time' } });
  });

  it('the scripts of one integration past its share wait for its running ones', async () => {
    const pool = createCodeRunner({ threads: 2 });
    runners.push(pool);
    const slow = ownedBy(pool, 'slow');
    const limits = { ...CODE_LIMITS, timeoutMs: 400 };
    const started = performance.now();
    const runs = await Promise.all([1, 2].map(() => slow.run(LOOP, { input: null, settings: {} }, limits)));
    // one after the other on its one thread: the second waited for the first's deadline
    expect(performance.now() - started).toBeGreaterThanOrEqual(800);
    for (const outcome of runs) expect(outcome.ok).toBe(false);
  });

  it('sizes itself to the cores, at least 2 threads, by default', async () => {
    const pool = createCodeRunner();
    runners.push(pool);
    const threads = Math.max(2, availableParallelism());
    const each = () => Array.from({ length: threads }, (_, n) => n);
    await Promise.all(each().map((n) => pool.run(QUICK, { input: { n }, settings: {} }, CODE_LIMITS)));
    const limits = { ...CODE_LIMITS, timeoutMs: 800 };
    const started = performance.now();
    // scripts without an owner (as the CLI runs them) may use every thread: all loop at once, not one after another
    const runs = await Promise.all(each().map(() => pool.run(LOOP, { input: null, settings: {} }, limits)));
    expect(performance.now() - started).toBeLessThan(800 * 1.75);
    for (const outcome of runs) expect(outcome.ok).toBe(false);
  });
});
