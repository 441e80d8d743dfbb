/**
 * Which outcomes are retried: a network error, a timeout, 408, 425, 429 and 5xx are transient, and
 * the delivery queue tries the lead again (no sooner than a 429's or 503's `Retry-After`, with
 * exponential backoff and full jitter otherwise); any other 4xx is a refusal the flow acts on.
 * Run against the AlterCPA template, whose refusal branch cancels the lead with the network's error,
 * and the fault target (test/support/fault-target.ts) the other fault tests use.
 */
import { describe, expect, it } from 'vitest';
import { retryAfterOf } from '../../nodes/http-request.ts';
import { MAX_RETRY_AFTER_MS, retryDelay } from '../../runtime/services/queue.ts';
import { fault, startFaultTarget, type Fault } from '../support/fault-target.ts';
import { removeDataDir, setUpFromTemplate, startRuntime, waitFor, cleanUpAfterEach } from '../support/harness.ts';

const cleanups = cleanUpAfterEach();

/** A network target whose first answer is `first`, and which accepts every lead after it, as AlterCPA does. */
async function networkAnswering(first: Fault) {
  const target = await startFaultTarget((r) => ({
    kind: 'answer',
    status: 200,
    body: { status: 'ok', id: 9000 + Number(new URLSearchParams(r.body).get('id')) },
  }));
  target.script([first]);
  const t = await startRuntime();
  cleanups.push(
    () => target.close(),
    () => t.close(),
    () => removeDataDir(t.dataDir),
  );
  await setUpFromTemplate(t, {
    template: 'altercpa',
    id: 'acpa',
    settings: { base_url: target.url, user_id: '1' },
    secrets: { api_key: 'k' },
    offerParameters: { altercpa_offer: '5' },
  });
  const posted = await t.api('POST', '/api/leads', { offer: 'offer-acpa', phone: '+49 151 1000001', ip: '10.0.0.1' });
  expect(posted.status).toBe(202);
  const view = async () => (await t.api('GET', `/api/leads/${posted.body.id}`)).body;
  return { t, target, leadId: posted.body.id as number, view };
}

/** The lead once its first attempt has been put back (`queued`, attempts 1). */
async function putBack(view: () => Promise<any>) {
  return waitFor(async () => {
    const v = await view();
    return v.deliveries[0]?.attempts === 1 && v.deliveries[0].state === 'queued' && v;
  }, 'the first attempt to be put back');
}

async function delivered(view: () => Promise<any>) {
  return waitFor(
    async () => {
      const v = await view();
      // the stage is written mid-run, the job is marked done when the run ends: wait for both
      return v.lead.stage === 'wait' && v.deliveries[0]?.state === 'done' && v;
    },
    'the next attempt to reach wait and its delivery to finish',
    10_000,
  );
}

describe('transient answers are retried', () => {
  it('waits out a 429 with Retry-After: 2 before the next attempt', async () => {
    const { target, view } = await networkAnswering(fault.retryAfter(2));
    const queued = await putBack(view);
    expect(queued.lead.stage).toBe('new');
    const job = queued.deliveries[0];
    expect(job.lastError).toMatch(/^http_error: HTTP 429/);
    // the test runtime's backoff is at most 1 s: only the Retry-After puts the next run 2 s away
    const wait = Date.parse(job.runAt) - Date.parse(job.updatedAt);
    expect(wait).toBeGreaterThanOrEqual(1900);
    expect(wait).toBeLessThanOrEqual(2100);

    const done = await delivered(view);
    expect(done.lead.eid).toBe(String(9000 + done.lead.id));
    expect(target.requests).toHaveLength(2);
    expect(target.requests[1].at - target.requests[0].at).toBeGreaterThanOrEqual(1900);
  });

  it('waits out a 429 whose Retry-After is an HTTP date until that moment', async () => {
    // HTTP dates have whole seconds: this one is 2 to 3 s away
    const until = new Date(Date.now() + 3000);
    const { target, view } = await networkAnswering(fault.retryAfter(until));
    const at = Date.parse(until.toUTCString());
    const queued = await putBack(view);
    expect(queued.lead.stage).toBe('new');
    expect(queued.deliveries[0].lastError).toMatch(/^http_error: HTTP 429/);
    expect(Math.abs(Date.parse(queued.deliveries[0].runAt) - at)).toBeLessThan(250);

    const done = await delivered(view);
    expect(done.deliveries[0]).toMatchObject({ state: 'done', attempts: 2 });
    expect(target.requests).toHaveLength(2);
    expect(target.requests[1].at).toBeGreaterThanOrEqual(at);
  });

  it('retries a 408 and delivers the lead on the next attempt', async () => {
    const { target, view } = await networkAnswering(fault.answer(408, 'request timeout'));
    const done = await delivered(view);
    expect(target.requests).toHaveLength(2);
    expect(done.deliveries[0]).toMatchObject({ state: 'done', attempts: 2 });
    expect(done.executions.map((e: { state: string }) => e.state).sort()).toEqual(['error', 'success']);
  });
});

describe('refusals are not retried', () => {
  it('cancels the lead on a 404 through the template’s refusal branch, as before', async () => {
    const { target, view } = await networkAnswering(fault.answer(404, { status: 'error', error: 'offer' }));
    const cancelled = await waitFor(async () => {
      const v = await view();
      return v.lead.stage === 'cancel' && v.deliveries[0]?.state === 'done' && v;
    }, 'the refusal');
    expect(cancelled.lead.reason).toBe('offer');
    expect(cancelled.deliveries[0].attempts).toBe(1);
    expect(target.requests).toHaveLength(1);
  });
});

describe('Retry-After and the backoff', () => {
  it('reads Retry-After as seconds or as an HTTP date, and ignores one that is malformed or past', () => {
    const now = Date.parse('2026-12-01T12:00:00Z');
    expect(retryAfterOf('2', now)).toBe(2000);
    expect(retryAfterOf(' 120 ', now)).toBe(120_000);
    expect(retryAfterOf('Tue, 01 Dec 2026 12:00:30 GMT', now)).toBe(30_000);
    expect(retryAfterOf('Tue, 01 Dec 2026 11:00:00 GMT', now)).toBeUndefined();
    expect(retryAfterOf('soon', now)).toBeUndefined();
    expect(retryAfterOf(undefined, now)).toBeUndefined();
  });

  it('backs off exponentially with full jitter, never sooner than Retry-After, which is capped', () => {
    const policy = { baseMs: 1000, maxMs: 60_000, maxAttempts: 10 };
    const samples = (attempts: number, retryAfterMs?: number) =>
      Array.from({ length: 500 }, () => retryDelay(policy, attempts, retryAfterMs));
    for (const [attempts, ceiling] of [
      [1, 1000],
      [4, 8000],
      [20, 60_000],
    ]) {
      const delays = samples(attempts);
      expect(Math.min(...delays)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...delays)).toBeLessThanOrEqual(ceiling);
      // spread over the whole range, not bunched around the ceiling
      expect(Math.min(...delays)).toBeLessThan(ceiling * 0.2);
      expect(Math.max(...delays)).toBeGreaterThan(ceiling * 0.8);
    }
    expect(Math.min(...samples(1, 5000))).toBe(5000);
    expect(Math.max(...samples(1, 7 * 24 * 3_600_000))).toBe(MAX_RETRY_AFTER_MS);
  });
});
