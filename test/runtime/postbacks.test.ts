import { describe, expect, it } from 'vitest';
import {
  removeDataDir,
  setUpDemoIntegration,
  startMockServer,
  startRuntime,
  waitFor,
  type MockServer,
  type TestRuntime,
  cleanUpAfterEach,
} from '../support/harness.ts';

const cleanups = cleanUpAfterEach();

interface Setup {
  t: TestRuntime;
  tracker: MockServer;
  token: string;
  leadId: number;
}

/** A lead delivered to a mock CRM (external id E-5, stage wait), its webmaster's tracker a mock too. */
async function deliveredLead(): Promise<Setup> {
  const target = await startMockServer(() => ({ body: { status: 'ok', order_id: 'E-5' } }));
  const tracker = await startMockServer(() => ({ body: 'ok' }));
  const t = await startRuntime();
  cleanups.push(
    () => target.stop(),
    () => tracker.stop(),
    () => t.close(),
    () => removeDataDir(t.dataDir),
  );
  const { token } = await setUpDemoIntegration(t, target.url, tracker.url);
  const posted = await t.api('POST', '/api/leads', { offer: 'tea', phone: '+4915123456780', wm: 'wm1', subid: 'click-9' });
  await waitFor(async () => (await t.api('GET', `/api/leads/${posted.body.id}`)).body.lead.stage === 'wait', 'delivery');
  // the change to wait fires one postback to the tracker
  await waitFor(() => tracker.received.length === 1, 'the postback for wait');
  return { t, tracker, token, leadId: posted.body.id };
}

describe('postbacks', () => {
  it('a postback from the target changes the stage and fires exactly one outgoing postback to the tracker', async () => {
    const { t, tracker, token, leadId } = await deliveredLead();
    expect(tracker.received[0].query).toEqual({ click: 'click-9', stage: 'wait', lead: String(leadId) });

    const answer = await fetch(
      `${t.url}/postback/crm?token=${token}&order_id=E-5&status=confirmed&comment=${encodeURIComponent('paid by card')}`,
    );
    expect(answer.status).toBe(200);
    const view = await waitFor(async () => {
      const r = await t.api('GET', `/api/leads/${leadId}`);
      return r.body.lead.stage === 'approve' && r.body;
    }, 'approve');
    expect(view.lead).toMatchObject({ stage: 'approve', status: 'confirmed', statusComment: 'paid by card' });
    expect(view.history.map((h: { stage: string; source: string }) => `${h.source}:${h.stage}`)).toEqual([
      'delivery:wait',
      'postback:approve',
    ]);

    // the tracker answers before the postback's job is marked done: wait for both jobs to end
    await waitFor(
      async () =>
        tracker.received.length === 2 &&
        (await t.api('GET', `/api/leads/${leadId}`)).body.deliveries.filter(
          (d: { kind: string; state: string }) => d.kind === 'postback.out' && d.state === 'done',
        ).length === 2,
      'the postback for approve',
    );
    expect(tracker.received[1].query).toEqual({ click: 'click-9', stage: 'approve', lead: String(leadId) });

    // the same postback again, and a late "processing": nothing changes, nothing more is sent
    await fetch(`${t.url}/postback/crm?token=${token}&order_id=E-5&status=confirmed`);
    await fetch(`${t.url}/postback/crm?token=${token}&order_id=E-5&status=processing`, { method: 'POST' });
    const after = await t.api('GET', `/api/leads/${leadId}`);
    expect(after.body.lead.stage).toBe('approve');
    expect(after.body.history).toHaveLength(2);
    const postbackJobs = after.body.deliveries.filter((d: { kind: string }) => d.kind === 'postback.out');
    expect(postbackJobs).toHaveLength(2);
    expect(postbackJobs.every((d: { state: string }) => d.state === 'done')).toBe(true);
    expect(tracker.received).toHaveLength(2);
  });

  it('a postback also works as a POST with form fields', async () => {
    const { t, token, leadId } = await deliveredLead();
    const answer = await fetch(`${t.url}/postback/crm?token=${token}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'order_id=E-5&status=rejected&comment=no+answer',
    });
    expect(answer.status).toBe(200);
    const view = (await t.api('GET', `/api/leads/${leadId}`)).body;
    expect(view.lead).toMatchObject({ stage: 'cancel', statusComment: 'no answer' });
  });

  it('a postback with a wrong or missing token is refused and changes nothing', async () => {
    const { t, leadId } = await deliveredLead();
    const wrong = await fetch(`${t.url}/postback/crm?token=nope&order_id=E-5&status=confirmed`);
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ error: 'unauthorized', field: 'token' });
    const missing = await fetch(`${t.url}/postback/crm?order_id=E-5&status=confirmed`);
    expect(missing.status).toBe(401);
    expect((await t.api('GET', `/api/leads/${leadId}`)).body.lead.stage).toBe('wait');
  });

  it('a postback for an unknown external id answers 404 and records the execution', async () => {
    const { t, token } = await deliveredLead();
    const answer = await fetch(`${t.url}/postback/crm?token=${token}&order_id=NOPE&status=confirmed`);
    expect(answer.status).toBe(404);
    const body = await answer.json();
    expect(body).toMatchObject({ ok: false, error: 'lead_not_found' });
    const execution = await t.api('GET', `/api/executions/${body.execution}`);
    expect(execution.body).toMatchObject({ event: 'postback.in', state: 'error' });
  });

  it('an outgoing postback the tracker refuses is retried until it answers 2xx, and sent once', async () => {
    const target = await startMockServer(() => ({ body: { status: 'ok', order_id: 'E-8' } }));
    let calls = 0;
    const tracker = await startMockServer(() => (++calls < 3 ? { status: 500, body: 'down' } : { body: 'ok' }));
    const t = await startRuntime();
    cleanups.push(
      () => target.stop(),
      () => tracker.stop(),
      () => t.close(),
      () => removeDataDir(t.dataDir),
    );
    await setUpDemoIntegration(t, target.url, tracker.url);
    const posted = await t.api('POST', '/api/leads', { offer: 'tea', phone: '+4915123456780', wm: 'wm1', subid: 's' });
    const job = await waitFor(async () => {
      const r = await t.api('GET', `/api/leads/${posted.body.id}`);
      return r.body.deliveries.find((d: { kind: string; state: string }) => d.kind === 'postback.out' && d.state === 'done');
    }, 'the postback to be delivered');
    expect(job.attempts).toBe(3);
    expect(tracker.received).toHaveLength(3);
  });

  it("an AlterCPA-style postback finds the lead by our id and reads the status with the call's own lists", async () => {
    const { t, token, leadId } = await deliveredLead();
    const flow = {
      id: 'altercpa-postback',
      name: 'AlterCPA postback',
      event: 'postback.in',
      nodes: [
        { id: 'in', type: 'postback-in', position: { x: 0, y: 0 }, params: { oidField: 'id', statusField: 'st' } },
        { id: 'save', type: 'update-lead', position: { x: 1, y: 0 }, params: { find: 'auto', setEid: '' } },
      ],
      edges: [{ id: 'e1', source: 'in', sourceHandle: 'out', target: 'save', targetHandle: 'in' }],
    };
    expect((await t.api('POST', '/api/flows', flow)).status).toBe(201);
    await t.api('PATCH', '/api/integrations/crm', { flows: { 'postback.in': 'altercpa-postback' } });
    // "7" means nothing to the node's lists; the call says it means approve
    const answer = await fetch(`${t.url}/postback/crm?token=${token}&id=${leadId}&st=7&sta=6,7&comment=ok&payout=12.5`);
    expect(answer.status).toBe(200);
    const view = (await t.api('GET', `/api/leads/${leadId}`)).body;
    expect(view.lead).toMatchObject({ stage: 'approve', status: '7', statusComment: 'ok', payout: 12.5 });
  });

  it("a webmaster's URL for the lead's stream wins, and every attempt is kept in the postback's log", async () => {
    const target = await startMockServer(() => ({ body: { status: 'ok', order_id: 'E-3' } }));
    let calls = 0;
    const tracker = await startMockServer(() => (++calls === 1 ? { status: 502, body: 'bad gateway' } : { body: 'ok' }));
    const t = await startRuntime();
    cleanups.push(
      () => target.stop(),
      () => tracker.stop(),
      () => t.close(),
      () => removeDataDir(t.dataDir),
    );
    await setUpDemoIntegration(t, target.url, tracker.url);
    await t.api('PUT', '/api/webmasters/wm1', {
      postbackUrl: `${tracker.url}/general?lead={id}`,
      streamPostbackUrls: { s7: `${tracker.url}/stream7?lead={id}&stage={stage}&offer={offer}` },
    });
    const posted = await t.api('POST', '/api/leads', { offer: 'tea', phone: '+4915123456780', wm: 'wm1', flow: 's7' });
    const job = await waitFor(async () => {
      const r = await t.api('GET', `/api/leads/${posted.body.id}`);
      return r.body.deliveries.find((d: { kind: string; state: string }) => d.kind === 'postback.out' && d.state === 'done');
    }, 'the postback');
    expect(tracker.received.map((r) => r.path)).toEqual(['/stream7', '/stream7']);
    expect(tracker.received[1].query).toEqual({ lead: String(posted.body.id), stage: 'wait', offer: 'tea' });
    expect(job.payload.attempts).toEqual([
      expect.objectContaining({ status: 502, url: expect.stringContaining('/stream7') }),
      expect.objectContaining({ status: 200 }),
    ]);
  });
});
