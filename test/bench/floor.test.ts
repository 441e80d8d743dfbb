import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMock, type MockTarget } from '../../bench/harness.ts';
import { startFloor, type FloorChild } from '../../bench/floor/start-floor.ts';
import { Results } from '../../bench/results.ts';
import { delivered, SEND_LEAD } from '../../bench/scenarios/send-integration.ts';

let mock: MockTarget;
beforeAll(async () => {
  mock = await startMock(1);
});
afterAll(() => mock.stop());

async function post(floor: FloorChild, body: unknown, key = floor.intakeKey) {
  const answer = await fetch(`${floor.url}/api/leads`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': key },
    body: JSON.stringify(body),
  });
  return { status: answer.status, body: (await answer.json()) as Record<string, unknown> };
}

/** leadflow's own store has its dashboard counters beside the leads; the floor's store has none. */
async function expectStore(floor: FloorChild, store: 'floor' | 'leadflow') {
  const tables = await floor.call<string[]>('tables');
  expect(tables).toContain('leads');
  expect(tables.includes('lead_stage_hours')).toBe(store === 'leadflow');
}

describe('the hand-written floor, synchronous', () => {
  const variants = [
    { commit: 'group', store: 'floor' },
    { commit: 'request', store: 'floor' },
    { commit: 'group', store: 'leadflow' },
  ] as const;
  for (const { commit, store } of variants) {
    it(`registers a lead at the target and answers with its autologin, the lead stored in wait (${commit} commit, ${store}'s store)`, async () => {
      const floor = await startFloor({ mode: 'sync', commit, store, targetUrl: mock.url });
      try {
        const before = await mock.requests();
        const answer = await post(floor, { ...SEND_LEAD, offer: 'fx' });
        expect(answer.status).toBe(201);
        expect(answer.body.autologin).toMatch(/^https:\/\/broker\.test\/login\?u=U\d+$/);
        expect(await mock.requests()).toBe(before + 1);
        expect(await floor.call('progress', { afterId: 0 })).toEqual({ wait: 1 });
        const d = await floor.call<{ count: number; executionMs: number[] }>('deliveries', { afterId: 0 });
        expect(d.count).toBe(1);
        expect(d.executionMs).toHaveLength(1);
        await expectStore(floor, store);
      } finally {
        await floor.stop();
      }
    });
  }

  it('refuses a post without the intake key, and a lead without a phone naming the field, storing nothing', async () => {
    const floor = await startFloor({ mode: 'sync', commit: 'group', targetUrl: mock.url });
    try {
      expect((await post(floor, SEND_LEAD, 'not-the-key')).status).toBe(401);
      const refused = await post(floor, { ...SEND_LEAD, phone: undefined });
      expect(refused.status).toBe(422);
      expect(refused.body.field).toBe('phone');
      expect(await floor.call('progress', { afterId: 0 })).toEqual({});
    } finally {
      await floor.stop();
    }
  });
});

describe('the hand-written floor, asynchronous', () => {
  for (const store of ['floor', 'leadflow'] as const) {
    it(`answers 202 at once and its worker delivers every lead to wait through the job rows (${store}'s store)`, async () => {
      const floor = await startFloor({ mode: 'async', commit: 'group', store, targetUrl: mock.url });
      try {
        const answers = await Promise.all(Array.from({ length: 50 }, () => post(floor, SEND_LEAD)));
        expect(answers.map((a) => a.status)).toEqual(Array(50).fill(202));
        expect(answers[0].body.stage).toBe('new');
        // the bench's own wait: the backlog polled until empty, then 50 in wait
        expect((await delivered(floor, 0, 50)).count).toBe(50);
        expect(await floor.call('backlog', { afterId: 0 })).toEqual({ queued: 0, refused: 0 });
        expect(await floor.call('progress', { afterId: 0 })).toEqual({ wait: 50 });
        expect((await floor.call<{ executionMs: number[] }>('deliveries', { afterId: 0 })).executionMs).toHaveLength(50);
        await expectStore(floor, store);
      } finally {
        await floor.stop();
      }
    });
  }
});

describe("the bench's results", () => {
  it('give each compared row its throughput, p99 and CPU as ratios to the floor row it names', () => {
    const results = new Results();
    const log = console.log;
    console.log = () => {};
    try {
      results.report({ scenario: 'floor', throughput: 2000, p50: 10, p99: 40, cpuMsPerLead: 0.3, floor: 'sync-max' });
      results.report({ scenario: 'leadflow', throughput: 900, p50: 30, p99: 120, cpuMsPerLead: 1.2, versus: 'sync-max' });
      results.report({ scenario: 'no floor of its own', throughput: 5, versus: 'e2e' });
    } finally {
      console.log = log;
    }
    results.compareToFloors();
    expect(results.rows[1].vsFloor).toEqual({ floor: 'sync-max', throughput: 0.45, p50: 3, p99: 3, cpuMsPerLead: 4 });
    expect(results.rows[2].vsFloor).toBeUndefined();
    expect(results.rows[0].loadAverage1m).toBeTypeOf('number');
  });
});
