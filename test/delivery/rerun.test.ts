import { describe, expect, it } from 'vitest';
import {
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

/** A lead delivered (wait, external id E-1) and then approved by hand; its webmaster's tracker a mock. */
async function approvedLead(): Promise<{ t: TestRuntime; target: MockServer; tracker: MockServer; id: number; execution: number }> {
  const target = await startMockServer(() => ({ body: { status: 'ok', order_id: 'E-1' } }));
  const tracker = await startMockServer(() => ({ body: 'ok' }));
  const t = await startRuntime();
  cleanups.push(
    () => target.stop(),
    () => tracker.stop(),
    () => t.close(),
    () => removeDataDir(t.dataDir),
  );
  await setUpDemoIntegration(t, target.url, tracker.url);
  const posted = await t.api('POST', '/api/leads', {
    offer: 'tea',
    name: 'Anna',
    phone: '+49 151 2345670',
    country: 'DE',
    wm: 'wm1',
    subid: 'c1',
  });
  const id = posted.body.id as number;
  // its lead.new execution, read below, is stored after the stage
  await waitForSettled(t, id, 'wait');
  expect((await t.api('POST', `/api/leads/${id}/stage`, { stage: 'approve', payout: 10 })).status).toBe(200);
  await waitFor(() => tracker.received.length === 2, 'the postbacks for wait and approve');
  const executions = (await t.api('GET', `/api/executions?lead=${id}`)).body.executions as { id: number; event: string }[];
  const execution = executions.find((e) => e.event === 'lead.new')?.id as number;
  // from now on the target refuses the lead as a duplicate: the demo flow's answer is cancel
  target.answer(() => ({ status: 400, body: { status: 'error', error: 'duplicate' } }));
  return { t, target, tracker, id, execution };
}

describe('stage safety', () => {
  it('re-running the lead.new execution of an approved lead needs {"confirm": true}: without it 409 naming confirm and the stage', async () => {
    const { t, target, id, execution } = await approvedLead();
    const refused = await t.api('POST', `/api/executions/${execution}/rerun`);
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ error: 'conflict', field: 'confirm', details: { lead: id, stage: 'approve' } });
    expect(refused.body.message).toContain('approve');
    expect(target.received).toHaveLength(1);
    expect((await t.api('POST', `/api/executions/${execution}/rerun`, { confirm: 'yes' })).body).toMatchObject({ field: 'confirm' });
  });

  it('a delivery result that says cancel for an approved lead changes nothing and sends no postback, and the re-run says so', async () => {
    const { t, target, tracker, id, execution } = await approvedLead();
    const rerun = await t.api('POST', `/api/executions/${execution}/rerun`, { confirm: true });
    expect(rerun.status).toBe(200);
    // the target was asked again and answered "duplicate": the flow reached its cancel
    expect(target.received).toHaveLength(2);
    expect(rerun.body.execution.steps.map((s: { nodeId: string }) => s.nodeId)).toContain('rejected');
    expect(rerun.body.lead).toEqual({
      id,
      stageBefore: 'approve',
      stageAfter: 'approve',
      changed: false,
      note: expect.stringContaining('a delivery result moves a lead only out of new'),
    });

    const view = (await t.api('GET', `/api/leads/${id}`)).body;
    expect(view.lead).toMatchObject({ stage: 'approve', payout: 10 });
    expect(view.history.map((h: { stage: string }) => h.stage)).toEqual(['wait', 'approve']);
    // a postback is queued in the same write as the change it reports: there is none for cancel
    expect(view.deliveries.filter((job: { kind: string }) => job.kind === 'postback.out')).toHaveLength(2);
    expect(tracker.received.map((r) => r.query.stage)).toEqual(['wait', 'approve']);
  });

  it('a status source still returns an approved lead', async () => {
    const { t, id } = await approvedLead();
    const returned = await t.api('POST', `/api/leads/${id}/stage`, { stage: 'cancel', reason: 'returned' });
    expect(returned.status).toBe(200);
    expect((await t.api('GET', `/api/leads/${id}`)).body.lead).toMatchObject({ stage: 'cancel', reason: 'returned' });
  });
});
