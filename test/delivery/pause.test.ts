import { describe, expect, it } from 'vitest';
import {
  readFlow,
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

const accepting = () => ({ body: { status: 'ok', order_id: `E-${Math.random().toString(36).slice(2, 8)}` } });

async function runtimeWithTarget(options: Parameters<typeof startRuntime>[0] = {}): Promise<{
  t: TestRuntime;
  target: MockServer;
  tracker: MockServer;
}> {
  const target = await startMockServer(accepting);
  const tracker = await startMockServer(() => ({ body: 'ok' }));
  const t = await startRuntime(options);
  cleanups.push(
    () => target.stop(),
    () => tracker.stop(),
    () => t.close(),
    () => removeDataDir(t.dataDir),
  );
  await setUpDemoIntegration(t, target.url, tracker.url);
  return { t, target, tracker };
}

const lead = (n: number, offer = 'tea') => ({
  offer,
  name: `Buyer ${n}`,
  phone: '+49 151 2345670',
  country: 'DE',
  wm: 'wm1',
  subid: `c-${n}`,
});

async function post(t: TestRuntime, count: number, offer = 'tea'): Promise<number[]> {
  const ids: number[] = [];
  for (let n = 0; n < count; n++) {
    const r = await t.api('POST', '/api/leads', lead(n, offer));
    expect(r.status).toBe(202);
    ids.push(r.body.id);
  }
  return ids;
}

/**
 * That nothing happens can only be seen by waiting: long enough for the queue (polling every 50 ms
 * in tests, and woken by every intake) to have taken the jobs many times over.
 */
const quietWhile = () => new Promise((resolve) => setTimeout(resolve, 400));

async function expectHeld(t: TestRuntime, ids: number[]): Promise<void> {
  for (const id of ids) {
    const view = (await t.api('GET', `/api/leads/${id}`)).body;
    expect(view.lead.stage).toBe('new');
    expect(view.deliveries).toEqual([expect.objectContaining({ kind: 'lead.new', state: 'queued', attempts: 0 })]);
  }
}

async function expectDelivered(t: TestRuntime, ids: number[]): Promise<void> {
  for (const id of ids) {
    await waitFor(async () => (await t.api('GET', `/api/leads/${id}`)).body.lead.stage === 'wait', `lead ${id} to reach wait`);
  }
}

describe('pausing an integration', () => {
  it('an integration switched off holds its queued leads: they stay new with their job queued, and go once it is on again', async () => {
    const { t, target } = await runtimeWithTarget();
    // leads are taken only while an integration is on; these are queued while its queue is paused
    expect((await t.api('POST', '/api/integrations/crm/pause')).status).toBe(200);
    const ids = await post(t, 3);
    const off = await t.api('PATCH', '/api/integrations/crm', { enabled: false, paused: false });
    expect(off.body).toMatchObject({ enabled: false, paused: false });

    await quietWhile();
    expect(target.received).toHaveLength(0);
    await expectHeld(t, ids);

    expect((await t.api('PATCH', '/api/integrations/crm', { enabled: true })).status).toBe(200);
    await expectDelivered(t, ids);
    expect(target.received).toHaveLength(3);
    for (const id of ids) {
      // a job is marked done after its run set the stage
      const { deliveries } = await waitForSettled(t, id, 'wait');
      expect(deliveries.filter((job: { kind: string }) => job.kind === 'lead.new')).toEqual([
        expect.objectContaining({ state: 'done', attempts: 1 }),
      ]);
    }
  });

  it('a paused integration takes leads but holds their delivery until it is resumed', async () => {
    const { t, target } = await runtimeWithTarget();
    const paused = await t.api('POST', '/api/integrations/crm/pause');
    expect(paused.body).toMatchObject({ id: 'crm', enabled: true, paused: true });
    const ids = await post(t, 3);

    await quietWhile();
    expect(target.received).toHaveLength(0);
    await expectHeld(t, ids);

    const resumed = await t.api('POST', '/api/integrations/crm/resume');
    expect(resumed.body).toMatchObject({ enabled: true, paused: false });
    await expectDelivered(t, ids);
    expect(target.received).toHaveLength(3);
  });

  it("a paused integration does not delay another integration's leads", async () => {
    // two workers: held jobs that were claimed would fill them at once
    const { t, target } = await runtimeWithTarget({ workers: 2 });
    const other = await startMockServer(accepting);
    cleanups.push(() => other.stop());
    expect((await t.api('POST', '/api/offers', { id: 'coffee', name: 'Coffee', parameters: { crm_offer_id: '301' } })).status).toBe(201);
    const created = await t.api('POST', '/api/integrations', {
      id: 'crm2',
      name: 'CRM 2',
      enabled: true,
      settings: { base_url: other.url },
      secrets: { api_key: 'k2', api_secret: 's2' },
      offers: ['coffee'],
      flows: { 'lead.new': readFlow('flows/demo/demo-crm-send.json').id },
    });
    expect(created.status).toBe(201);

    await t.api('POST', '/api/integrations/crm/pause');
    const held = await post(t, 20);
    const started = Date.now();
    const ids = await post(t, 5, 'coffee');
    await expectDelivered(t, ids);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(other.received).toHaveLength(5);
    expect(target.received).toHaveLength(0);
    await expectHeld(t, held);
  });

  it("a paused integration's outgoing postbacks to the webmaster still go", async () => {
    const { t, tracker } = await runtimeWithTarget();
    const [id] = await post(t, 1);
    await expectDelivered(t, [id]);
    await waitFor(() => tracker.received.length === 1, 'the postback for wait');

    await t.api('POST', '/api/integrations/crm/pause');
    expect((await t.api('POST', `/api/leads/${id}/stage`, { stage: 'approve' })).status).toBe(200);
    await waitFor(() => tracker.received.length === 2, 'the postback for approve');
    expect(tracker.received[1].query).toMatchObject({ stage: 'approve', lead: String(id) });
  });

  it('pausing an integration that does not exist is a 404', async () => {
    const { t } = await runtimeWithTarget();
    expect((await t.api('POST', '/api/integrations/nope/pause')).status).toBe(404);
  });
});
