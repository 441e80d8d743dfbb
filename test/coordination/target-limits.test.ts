import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Agent, request } from 'undici';
import type { TargetLimits } from '../../runtime/store/coordination.ts';
import { InProcessTargetLimits } from '../../runtime/engine/target-limits.ts';
import { PgTargetLimits } from '../../runtime/store/pg/target-limits.ts';
import { mostWithin, sharedDatabase, startCountingTarget, type CountingTarget, type SharedDatabase } from './support.ts';

/**
 * The window the target counts in: a second less 200 ms, the spare for the trip from the limiter
 * to the target on a busy machine (a request let go on time can be sent late, closer to the next).
 */
const WINDOW_MS = 800;

let agent: Agent;
beforeAll(() => {
  agent = new Agent({ connections: 64 });
});
afterAll(async () => {
  await agent.close();
});

/** One request to the target, sent once `limits` let it go (the rate) and within a slot when `slots` is given. */
async function send(limits: TargetLimits, target: CountingTarget, rate?: number, slots?: number): Promise<void> {
  const release = slots ? await limits.acquireSlot('crm', slots) : undefined;
  try {
    await limits.waitForRate('crm', rate);
    const answer = await request(`${target.url}/orders`, { dispatcher: agent });
    await answer.body.text();
  } finally {
    await release?.();
  }
}

/** The limits every backend keeps within one process. */
function defineTargetLimitsContract(name: string, open: () => Promise<{ limits: TargetLimits; close(): Promise<void> }>) {
  describe(`${name}: target limits in one process`, () => {
    let opened: { limits: TargetLimits; close(): Promise<void> };
    let target: CountingTarget | undefined;
    beforeAll(async () => {
      opened = await open();
    });
    afterAll(async () => {
      await opened.close();
    });
    afterEach(async () => {
      await target?.stop();
      target = undefined;
    });

    it('lets no more than the rate through in any second, and all of them in the end', async () => {
      target = await startCountingTarget(0);
      await Promise.all(Array.from({ length: 15 }, () => send(opened.limits, target!, 10)));
      expect(target.arrivals).toHaveLength(15);
      expect(mostWithin(target.arrivals, WINDOW_MS)).toBeLessThanOrEqual(10);
      const times = target.arrivals.map((a) => a.at);
      expect(Math.max(...times) - Math.min(...times)).toBeGreaterThan(900);
    });

    it('runs no more than the concurrency limit at once, and gives each slot back for the next', async () => {
      target = await startCountingTarget(60);
      await Promise.all(Array.from({ length: 9 }, () => send(opened.limits, target!, undefined, 3)));
      expect(target.arrivals).toHaveLength(9);
      expect(target.mostAtOnce).toBe(3);
    });

    it('a wait for a slot ends when its signal aborts', async () => {
      const held = await opened.limits.acquireSlot('busy', 1);
      const controller = new AbortController();
      const waiting = opened.limits.acquireSlot('busy', 1, controller.signal);
      controller.abort(new Error('shutting down'));
      await expect(waiting).rejects.toThrow('shutting down');
      await held();
      const next = await opened.limits.acquireSlot('busy', 1);
      await next();
    });
  });
}

defineTargetLimitsContract('in-process', async () => {
  const limits = new InProcessTargetLimits();
  return { limits, close: () => limits.close() };
});

defineTargetLimitsContract('PostgreSQL', async () => {
  const database = await sharedDatabase(1);
  const limits = new PgTargetLimits(database.pools[0]);
  return {
    limits,
    async close() {
      await limits.close();
      await database.close();
    },
  };
});

describe('PostgreSQL: target limits across two processes on one database', () => {
  let database: SharedDatabase;
  let first: PgTargetLimits;
  let second: PgTargetLimits;
  let target: CountingTarget | undefined;
  beforeAll(async () => {
    database = await sharedDatabase(2);
    first = new PgTargetLimits(database.pools[0]);
    second = new PgTargetLimits(database.pools[1]);
  });
  afterAll(async () => {
    await Promise.all([first.close(), second.close()]);
    await database.close();
  });
  afterEach(async () => {
    await target?.stop();
    target = undefined;
  });

  it('the target never sees more than its rate from both together (each alone would send its own full rate)', async () => {
    target = await startCountingTarget(0);
    const started = performance.now();
    await Promise.all([first, second].flatMap((limits) => Array.from({ length: 30 }, () => send(limits, target!, 20))));
    expect(target.arrivals).toHaveLength(60);
    // two limiters counting apart would let 40 through in the first moment
    expect(mostWithin(target.arrivals, WINDOW_MS)).toBeLessThanOrEqual(20);
    // 60 at 20 a second: the first 20 at once, the last 40 over the next two seconds
    expect(performance.now() - started).toBeGreaterThan(1900);
  });

  it('the target never answers more than the concurrency limit at once from both together', async () => {
    target = await startCountingTarget(80);
    await Promise.all([first, second].flatMap((limits) => Array.from({ length: 12 }, () => send(limits, target!, undefined, 3))));
    expect(target.arrivals).toHaveLength(24);
    expect(target.mostAtOnce).toBe(3);
  });

  it('a slot one process gives back is taken by the other at once', async () => {
    const held = await first.acquireSlot('handover', 1);
    const started = performance.now();
    const taken = second.acquireSlot('handover', 1);
    setTimeout(() => void held(), 150);
    const release = await taken;
    expect(performance.now() - started).toBeLessThan(1000);
    await release();
  });

  it('a live process keeps its slots past their lease by renewing them', async () => {
    const holder = new PgTargetLimits(database.pools[0], { leaseMs: 300 });
    const releases = await Promise.all([holder.acquireSlot('renewed', 2), holder.acquireSlot('renewed', 2)]);
    const controller = new AbortController();
    const waiting = second.acquireSlot('renewed', 2, controller.signal);
    const outcome = await Promise.race([
      waiting.then(() => 'taken'),
      new Promise((resolve) => setTimeout(() => resolve('still held'), 1200)),
    ]);
    expect(outcome).toBe('still held');
    controller.abort(new Error('given up'));
    await expect(waiting).rejects.toThrow('given up');
    await Promise.all(releases.map((release) => release()));
    await holder.close();
  });

  it('the slots of a process that died (stopped renewing) come back once their lease ran out', async () => {
    const { pools } = await sharedDatabaseOfOwn();
    const errors: unknown[] = [];
    const dying = new PgTargetLimits(pools.dying, { leaseMs: 600, onError: (error) => errors.push(error) });
    await Promise.all([dying.acquireSlot('crash', 2), dying.acquireSlot('crash', 2)]);
    const died = performance.now();
    // its connections are gone: it renews nothing from now on, and gives nothing back
    await pools.dying.end();
    const survivor = new PgTargetLimits(pools.survivor);
    const release = await survivor.acquireSlot('crash', 2);
    const waited = performance.now() - died;
    expect(waited).toBeGreaterThan(400);
    expect(waited).toBeLessThan(5000);
    await release();
    await Promise.all([survivor.close(), dying.close()]);
    await pools.close();
  });
});

/** A database of its own for the dead-process test: one of its two pools is ended mid-test. */
async function sharedDatabaseOfOwn() {
  const own = await sharedDatabase(2);
  return { pools: { dying: own.pools[0], survivor: own.pools[1], close: () => own.close() } };
}
