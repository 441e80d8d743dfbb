/**
 * A lead.new run must come to a verdict: a run that leaves the lead `new` is a failure its own
 * execution records, with the reason — never a "success". A flow that reaches no Update Lead is a
 * flow bug (not retried); a 2xx whose body is malformed JSON is the target's transient fault (retried).
 */
import { describe, expect, it } from 'vitest';
import { leadNewVerdict } from '../../core/domain/delivery.ts';
import {
  removeDataDir,
  setUpDemoIntegration,
  startMockServer,
  startRuntime,
  waitFor,
  type Answer,
  cleanUpAfterEach,
} from '../support/harness.ts';

const cleanups = cleanUpAfterEach();

const lead = { offer: 'tea', name: 'Anna Schmidt', phone: '+49 151 2345670', ip: '10.1.2.3', wm: 'wm1' };

async function runtimeWithTarget(answer: (n: number) => Answer) {
  let calls = 0;
  const target = await startMockServer(() => answer(calls++));
  const t = await startRuntime();
  cleanups.push(
    () => target.stop(),
    () => t.close(),
    () => removeDataDir(t.dataDir),
  );
  await setUpDemoIntegration(t, target.url);
  return { t, target };
}

/** A lead.new flow that sends the lead and stops there: nothing tells the lead what became of it. */
const sendOnly = {
  id: 'send-only',
  name: 'Send only',
  event: 'lead.new',
  version: 1,
  nodes: [
    { id: 'lead', type: 'lead-in', position: { x: 0, y: 0 }, params: {} },
    {
      id: 'send',
      type: 'http-request',
      position: { x: 240, y: 0 },
      params: { method: 'POST', url: '{{integration.settings.base_url}}/api/orders', body: 'json', json: { phone: '{{lead.phone}}' } },
    },
  ],
  edges: [{ id: 'e1', source: 'lead', sourceHandle: 'out', target: 'send', targetHandle: 'in' }],
};

describe('a lead.new run without a verdict', () => {
  it('a flow that reaches no Update Lead records its execution as failed with no_verdict, is not retried, and the lead is a failed delivery', async () => {
    const { t, target } = await runtimeWithTarget(() => ({ body: { status: 'ok', order_id: 'E-1' } }));
    expect((await t.api('POST', '/api/flows', sendOnly)).status).toBe(201);
    expect((await t.api('PATCH', '/api/integrations/crm', { flows: { 'lead.new': 'send-only' } })).status).toBe(200);
    const posted = await t.api('POST', '/api/leads', lead);

    const view = await waitFor(async () => {
      const v = (await t.api('GET', `/api/leads/${posted.body.id}`)).body;
      return v.delivery?.state === 'failed' && v;
    }, 'the delivery to fail');
    expect(view.lead.stage).toBe('new');
    expect(view.executions).toHaveLength(1);
    const [execution] = view.executions;
    expect(execution.state).toBe('error');
    expect(execution.error).toMatchObject({ code: 'no_verdict', retryable: false });
    expect(execution.error.message).toMatch(/^the flow ended without moving the lead on/);
    expect(view.deliveries[0]).toMatchObject({ state: 'failed', attempts: 1 });
    expect(view.delivery.lastError).toMatch(
      new RegExp(`^no_verdict: the flow ended without moving the lead on.*execution ${execution.id}\\)$`),
    );
    expect(target.received).toHaveLength(1);

    // the integration log says the same
    const logged = (await t.api('GET', `/api/executions/${execution.id}`)).body;
    expect(logged).toMatchObject({ state: 'error', error: { code: 'no_verdict' } });
  });

  it('a 200 with malformed JSON is a visible failure of that execution, retried, and the next whole answer delivers the lead', async () => {
    const { t, target } = await runtimeWithTarget((n) =>
      n === 0
        ? { status: 200, headers: { 'content-type': 'application/json' }, body: '{"status": "ok", "order_id": "E-' }
        : { body: { status: 'ok', order_id: 'E-2' } },
    );
    const posted = await t.api('POST', '/api/leads', lead);
    const view = await waitFor(async () => {
      const v = (await t.api('GET', `/api/leads/${posted.body.id}`)).body;
      // the stage is written mid-run, the job is marked done when the run ends: wait for both
      return v.lead.stage === 'wait' && v.deliveries[0]?.state === 'done' && v;
    }, 'the retry to deliver the lead');

    expect(view.lead.eid).toBe('E-2');
    expect(view.deliveries[0]).toMatchObject({ state: 'done', attempts: 2 });
    expect(target.received).toHaveLength(2);
    const [second, first] = view.executions;
    expect(second.state).toBe('success');
    expect(first.state).toBe('error');
    expect(first.error).toMatchObject({ code: 'unreadable_answer', nodeId: 'send', retryable: true });
    expect(first.error.message).toMatch(/^HTTP 200 from the target, but its body is not readable JSON .*; then missing_field at answer/);
  });
});

describe('the verdict rule', () => {
  const answer = (body: string, type = 'application/json') => ({
    nodeId: 'send',
    http: {
      request: { method: 'POST', url: 'http://t/', headers: {} },
      response: { status: 200, headers: { 'content-type': type }, body },
      outcome: 'answer' as const,
      durationMs: 1,
    },
  });
  const missing = { code: 'missing_field', message: 'missing in the answer: eid', nodeId: 'answer', retryable: false };

  it('a lead that left new has its verdict, whatever the run’s error', () => {
    expect(leadNewVerdict({ stageAfter: 'wait', exchanges: [] })).toBeUndefined();
    expect(leadNewVerdict({ stageAfter: 'cancel', error: missing, exchanges: [answer('{')] })).toBe(missing);
  });

  it('an answer that is not the JSON it claims makes the failure retryable; a well-formed one or plain text does not', () => {
    expect(leadNewVerdict({ stageAfter: 'new', error: missing, exchanges: [answer('{"a":')] })).toMatchObject({
      code: 'unreadable_answer',
      retryable: true,
    });
    expect(leadNewVerdict({ stageAfter: 'new', error: missing, exchanges: [answer('{"error":"no"}')] })).toBe(missing);
    expect(leadNewVerdict({ stageAfter: 'new', error: missing, exchanges: [answer('OK', 'text/plain')] })).toBe(missing);
    expect(leadNewVerdict({ stageAfter: 'new', exchanges: [answer('{"id": 1}')] })).toMatchObject({ code: 'no_verdict', retryable: false });
  });
});
