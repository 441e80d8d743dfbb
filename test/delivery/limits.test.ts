/**
 * How long a delivery is tried: each integration's `maxAttempts` and `maxAgeHours` (the kernel's
 * defaults otherwise). Past either, the delivery fails for good with its last error; the lead stays
 * `new`, shows as a failed delivery, and its integration counts it.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_DELIVERY_LIMITS, deliveryLimits, deliveryState, outOfRetries } from '../../core/domain/delivery.ts';
import {
  removeDataDir,
  setUpDemoIntegration,
  startMockServer,
  startRuntime,
  waitFor,
  type Answer,
  type TestRuntime,
  cleanUpAfterEach,
} from '../support/harness.ts';

const cleanups = cleanUpAfterEach();

const lead = { offer: 'tea', name: 'Anna Schmidt', phone: '+49 151 2345670', country: 'DE', ip: '10.1.2.3', wm: 'wm1' };

/** The demo CRM integration against a target that answers `answer`, with the limits given. */
async function integrationAnswering(answer: () => Answer, limits: Record<string, unknown>) {
  const target = await startMockServer(answer);
  // the circuit breaker would hold a failing target's deliveries for 30 s: these tests are about
  // the limits of one delivery, so it opens only far past them (circuit-breaker.test.ts tests it)
  const t = await startRuntime({ breaker: { failures: 1_000 } });
  cleanups.push(
    () => target.stop(),
    () => t.close(),
    () => removeDataDir(t.dataDir),
  );
  await setUpDemoIntegration(t, target.url);
  const patched = await t.api('PATCH', '/api/integrations/crm', limits);
  expect(patched.status).toBe(200);
  return { t, target };
}

async function post(t: TestRuntime): Promise<number> {
  const posted = await t.api('POST', '/api/leads', lead);
  expect(posted.status).toBe(202);
  return posted.body.id;
}

const failedFor = (t: TestRuntime, id: number, timeoutMs = 10_000) =>
  waitFor(
    async () => {
      const view = (await t.api('GET', `/api/leads/${id}`)).body;
      return view.delivery?.state === 'failed' && view;
    },
    `lead ${id}'s delivery to fail for good`,
    timeoutMs,
  );

describe('the limits of a delivery', () => {
  it('a target answering 503 every time gets the integration’s maxAttempts tries, then the delivery fails with its last error and the lead stays new, flagged and counted', async () => {
    const { t, target } = await integrationAnswering(() => ({ status: 503, body: 'down for maintenance' }), { maxAttempts: 3 });
    const id = await post(t);
    const view = await failedFor(t, id);

    expect(view.lead.stage).toBe('new');
    expect(view.deliveries).toEqual([expect.objectContaining({ kind: 'lead.new', state: 'failed', attempts: 3 })]);
    expect(view.delivery).toMatchObject({ state: 'failed', attempts: 3, jobId: view.deliveries[0].id });
    expect(view.delivery.lastError).toMatch(/^gave up after 3 attempts .*; last error: http_error: HTTP 503/);
    expect(view.delivery.nextAttemptAt).toBeUndefined();
    expect(target.received).toHaveLength(3);

    const integration = (await t.api('GET', '/api/integrations/crm')).body;
    expect(integration).toMatchObject({ maxAttempts: 3, deliveries: { failed: 1, retrying: 0 } });
    const listed = (await t.api('GET', '/api/leads?delivery=failed')).body.leads;
    expect(listed).toEqual([expect.objectContaining({ id, stage: 'new', delivery: 'failed' })]);
    expect((await t.api('GET', '/api/leads?delivery=delivered')).body.leads).toEqual([]);
  });

  it('a delivery older than the integration’s maxAgeHours is not retried again, however many attempts it has left', async () => {
    // 0.0005 h is 1.8 s; the test runtime's backoff is at most 1 s
    const { t } = await integrationAnswering(() => ({ status: 500, body: 'oops' }), { maxAttempts: 100, maxAgeHours: 0.0005 });
    const id = await post(t);
    const view = await failedFor(t, id);

    const job = view.deliveries[0];
    expect(job.attempts).toBeGreaterThan(1);
    expect(job.attempts).toBeLessThan(100);
    expect(Date.parse(job.updatedAt) - Date.parse(job.createdAt)).toBeGreaterThanOrEqual(1800);
    expect(view.delivery.lastError).toMatch(
      /^gave up after \d+ attempts over \d+ s \(this integration tries a delivery for at most 0\.0005 h\); last error: http_error: HTTP 500/,
    );
    expect(view.lead.stage).toBe('new');
    expect((await t.api('GET', '/api/integrations/crm')).body.deliveries).toEqual({ failed: 1, retrying: 0 });
  });

  it('a delivery waiting for its retry shows as retrying, with its error and when it goes next, and is counted as a retry waiting', async () => {
    const { t } = await integrationAnswering(() => ({ status: 429, headers: { 'retry-after': '60' }, body: 'slow down' }), {});
    const id = await post(t);
    const view = await waitFor(async () => {
      const v = (await t.api('GET', `/api/leads/${id}`)).body;
      return v.delivery?.state === 'retrying' && v;
    }, 'the first attempt to be put back');
    expect(view.delivery).toMatchObject({ attempts: 1, lastError: expect.stringMatching(/^http_error: HTTP 429/) });
    expect(Date.parse(view.delivery.nextAttemptAt) - Date.now()).toBeGreaterThan(50_000);
    expect((await t.api('GET', '/api/integrations/crm')).body.deliveries).toEqual({ failed: 0, retrying: 1 });
    expect((await t.api('GET', '/api/leads?delivery=retrying')).body.leads.map((l: { id: number }) => l.id)).toEqual([id]);
  });

  it('refuses limits out of bounds, naming the field, and null puts the default back', async () => {
    const { t } = await integrationAnswering(() => ({ body: { status: 'ok', order_id: 'E-1' } }), {});
    for (const [field, value] of [
      ['maxAttempts', 0],
      ['maxAttempts', 1.5],
      ['maxAttempts', 101],
      ['maxAgeHours', 0],
      ['maxAgeHours', 721],
      ['maxAgeHours', '72'],
    ] as const) {
      const refused = await t.api('PATCH', '/api/integrations/crm', { [field]: value });
      expect(refused.status, `${field}: ${value}`).toBe(400);
      expect(refused.body.field).toBe(field);
    }
    expect((await t.api('PATCH', '/api/integrations/crm', { maxAttempts: 5, maxAgeHours: 1.5 })).body).toMatchObject({
      maxAttempts: 5,
      maxAgeHours: 1.5,
    });
    const reset = (await t.api('PATCH', '/api/integrations/crm', { maxAttempts: null })).body;
    expect(reset.maxAttempts).toBeUndefined();
    expect(reset.maxAgeHours).toBe(1.5);
  });
});

describe('the kernel’s delivery rules', () => {
  it('an integration without limits of its own gets 12 attempts and 72 hours', () => {
    expect(DEFAULT_DELIVERY_LIMITS).toEqual({ maxAttempts: 12, maxAgeHours: 72 });
    expect(deliveryLimits({})).toEqual(DEFAULT_DELIVERY_LIMITS);
    expect(deliveryLimits({ maxAttempts: 3 })).toEqual({ maxAttempts: 3, maxAgeHours: 72 });
  });

  it('a delivery is out of retries at its last attempt or once it is as old as the age limit', () => {
    const now = new Date('2026-12-04T12:00:00Z');
    const limits = { maxAttempts: 12, maxAgeHours: 72 };
    expect(outOfRetries({ attempts: 11, createdAt: '2026-12-01T12:00:01Z' }, limits, now)).toBeUndefined();
    expect(outOfRetries({ attempts: 12, createdAt: '2026-12-04T11:00:00Z' }, limits, now)).toMatch(/after 12 attempts/);
    expect(outOfRetries({ attempts: 5, createdAt: '2026-12-01T12:00:00Z' }, limits, now)).toMatch(/over 72 h/);
  });

  it('names a lead’s delivery state from its stage and its job', () => {
    expect(deliveryState('new', undefined)).toBeUndefined();
    expect(deliveryState('new', { state: 'queued', attempts: 0 })).toBe('queued');
    expect(deliveryState('new', { state: 'running', attempts: 1 })).toBe('queued');
    expect(deliveryState('new', { state: 'queued', attempts: 1 })).toBe('retrying');
    expect(deliveryState('new', { state: 'running', attempts: 2 })).toBe('retrying');
    expect(deliveryState('new', { state: 'failed', attempts: 12 })).toBe('failed');
    expect(deliveryState('new', { state: 'done', attempts: 1 })).toBe('delivered');
    expect(deliveryState('wait', { state: 'running', attempts: 1 })).toBe('delivered');
  });
});
