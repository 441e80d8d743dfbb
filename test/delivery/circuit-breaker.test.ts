import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import {
  DEMO_KEY,
  DEMO_SECRET,
  removeDataDir,
  setUpDemoIntegration,
  startMockServer,
  startRuntime,
  waitFor,
  waitForSettled,
  type MockServer,
  type TestRuntime,
  cleanUpAfterEach,
} from '../support/harness.ts';

const cleanups = cleanUpAfterEach();

const HALF_OPEN_AFTER_MS = 800;
const failing = () => ({ status: 503, body: { error: 'down for maintenance' } });
const accepting = () => ({ body: { status: 'ok', order_id: `E-${Math.random().toString(36).slice(2, 8)}` } });

async function runtimeWithTarget(): Promise<{ t: TestRuntime; target: MockServer; logged: string[] }> {
  const target = await startMockServer(failing);
  const logged: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logged.push(String(chunk));
      done();
    },
  });
  const t = await startRuntime({ logger: pino({ level: 'info' }, sink), breaker: { failures: 3, halfOpenAfterMs: HALF_OPEN_AFTER_MS } });
  cleanups.push(
    () => target.stop(),
    () => t.close(),
    () => removeDataDir(t.dataDir),
  );
  await setUpDemoIntegration(t, target.url);
  // one at a time, so the failures in a row are exactly the requests the target saw
  expect((await t.api('PATCH', '/api/integrations/crm', { concurrency: 1 })).status).toBe(200);
  return { t, target, logged };
}

async function post(t: TestRuntime, count: number): Promise<number[]> {
  const ids: number[] = [];
  for (let n = 0; n < count; n++) {
    const r = await t.api('POST', '/api/leads', { offer: 'tea', name: `Buyer ${n}`, phone: '+49 151 2345670', country: 'DE', wm: 'wm1' });
    expect(r.status).toBe(202);
    ids.push(r.body.id);
  }
  return ids;
}

/** Every lead.new job of the leads, as their pages show them. */
async function deliveries(t: TestRuntime, ids: number[]): Promise<{ state: string; attempts: number }[]> {
  const jobs = [];
  for (const id of ids) {
    const view = (await t.api('GET', `/api/leads/${id}`)).body;
    jobs.push(...view.deliveries.filter((job: { kind: string }) => job.kind === 'lead.new'));
  }
  return jobs;
}

const attemptsOf = (jobs: { attempts: number }[]) => jobs.reduce((sum, job) => sum + job.attempts, 0);
const quietWhile = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("an integration's circuit breaker", () => {
  it('opens after 3 transient failures in a row and holds the other deliveries, queued with their attempts uncounted', async () => {
    const { t, target, logged } = await runtimeWithTarget();
    const ids = await post(t, 6);
    await waitFor(() => target.received.length === 3, 'three failed sends');
    await quietWhile(HALF_OPEN_AFTER_MS / 2);
    expect(target.received).toHaveLength(3);
    // the target answers before the run records its execution and its job is put back: wait for the third attempt to end
    await waitFor(async () => (await deliveries(t, ids)).every((job) => job.state !== 'running'), 'the third attempt to end');

    const breaker = (await t.api('GET', '/api/integrations/crm/breaker')).body;
    expect(breaker).toMatchObject({ state: 'open', consecutiveFailures: 3, threshold: 3 });
    expect(Date.parse(breaker.nextProbeAt) - Date.parse(breaker.since)).toBe(HALF_OPEN_AFTER_MS);
    expect((await t.api('GET', '/api/integrations/crm')).body.breaker).toMatchObject({ state: 'open' });

    const jobs = await deliveries(t, ids);
    expect(jobs.map((job) => job.state)).toEqual(Array(6).fill('queued'));
    // only the three sends the target saw were counted: the held ones were never attempted
    expect(attemptsOf(jobs)).toBe(3);
    for (const id of ids) expect((await t.api('GET', `/api/leads/${id}`)).body.lead.stage).toBe('new');

    const opened = logged.filter((line) => line.includes('circuit breaker opened'));
    expect(opened).toHaveLength(1);
    expect(JSON.parse(opened[0])).toMatchObject({ integration: 'crm', failures: 3 });
    for (const line of logged) expect(line).not.toMatch(new RegExp(`${DEMO_KEY}|${DEMO_SECRET}`));
  });

  it('lets one probe through when it is due; a failed probe opens it again, a good one closes it and the held leads go', async () => {
    const { t, target, logged } = await runtimeWithTarget();
    const ids = await post(t, 6);
    await waitFor(() => target.received.length === 3, 'three failed sends');

    // the first probe fails: one request, and the breaker is open again
    await waitFor(() => target.received.length === 4, 'the first probe', HALF_OPEN_AFTER_MS * 4);
    await waitFor(async () => (await t.api('GET', '/api/integrations/crm/breaker')).body.state === 'open', 'the breaker open again');
    await quietWhile(HALF_OPEN_AFTER_MS / 2);
    expect(target.received).toHaveLength(4);
    expect((await t.api('GET', '/api/integrations/crm/breaker')).body).toMatchObject({ state: 'open', consecutiveFailures: 4 });

    // the target recovers: the next probe succeeds, the breaker closes and every held lead is delivered
    target.answer(accepting);
    for (const id of ids) {
      // the jobs' states are read below: a job is marked done after its run set the stage
      await waitForSettled(t, id, 'wait', HALF_OPEN_AFTER_MS * 6);
    }
    expect((await t.api('GET', '/api/integrations/crm/breaker')).body).toMatchObject({ state: 'closed', consecutiveFailures: 0 });
    // 4 failed sends and one good one per lead; nothing sent twice once it was accepted
    expect(target.received).toHaveLength(4 + 6);
    const jobs = await deliveries(t, ids);
    expect(jobs.map((job) => job.state)).toEqual(Array(6).fill('done'));
    expect(attemptsOf(jobs)).toBe(4 + 6);
    expect(logged.filter((line) => line.includes('circuit breaker closed'))).toHaveLength(1);
  });

  it('a target that refuses a lead is answering: a refusal resets the count of failures in a row', async () => {
    const { t, target } = await runtimeWithTarget();
    let sent = 0;
    // fail, fail, refuse, fail, fail, then accept: never three transient failures in a row (the
    // sixth accepts, so a retry landing before the check below cannot make a third)
    target.answer(() =>
      ++sent === 3 ? { status: 400, body: { status: 'error', error: 'bad phone' } } : sent >= 6 ? accepting() : failing(),
    );
    await post(t, 1);
    await post(t, 1);
    await post(t, 1);
    await waitFor(() => target.received.length >= 5, 'five sends');
    const breaker = (await t.api('GET', '/api/integrations/crm/breaker')).body;
    expect(breaker.state).toBe('closed');
    expect(breaker.consecutiveFailures).toBeLessThan(3);
  });

  it('answers 404 for the breaker of an integration that does not exist', async () => {
    const { t } = await runtimeWithTarget();
    expect((await t.api('GET', '/api/integrations/nope/breaker')).status).toBe(404);
  });
});
