/**
 * A hostile target, one fault at a time, against the real runtime and a send flow shaped like the
 * network templates' (AlterCPA's above all): `{"status":"ok","id":…}` moves the lead to wait with
 * the id, `{"status":"error","message":…}` cancels it with the message unless the error is the
 * account's (a wrong key: the lead stays new), and network failures, timeouts and busy answers
 * take no exit, so the delivery is tried again. Each test says what becomes of the lead (stage),
 * of its delivery (the job: state and attempts) and of each attempt (its execution).
 *
 * Faults tested elsewhere with the same target (test/support/fault-target.ts): 429 with
 * Retry-After in seconds and as an HTTP date, 408 and 404 in retry-rules.test.ts; 301/302/303/307/
 * 308, more hops than allowed and a redirect loop in redirects.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { fault, startFaultTarget, type FaultTarget } from '../support/fault-target.ts';
import { removeDataDir, startRuntime, waitFor, type TestRuntime, cleanUpAfterEach } from '../support/harness.ts';
import { RECORD_LIMITS } from '../../runtime/engine/record-caps.ts';

const cleanups = cleanUpAfterEach();

const node = (id: string, type: string, x: number, params: Record<string, unknown> = {}) => ({ id, type, position: { x, y: 0 }, params });
const edge = (source: string, target: string, sourceHandle = 'out') => ({
  id: `${source}-${sourceHandle}-${target}`,
  source,
  sourceHandle,
  target,
  targetHandle: 'in',
});

/** The send timeout: short, so that a hanging target costs the test half a second per attempt. */
const TIMEOUT_MS = 500;

/** AlterCPA's send flow, reading `message` where AlterCPA reads `error`. */
const sendFlow = {
  id: 'send',
  name: 'send',
  event: 'lead.new',
  nodes: [
    node('lead', 'lead-in', 0),
    node('order', 'json-build', 1, { body: { order: '{{lead.id}}', phone: '{{lead.phone | digits}}' } }),
    node('send', 'http-request', 2, {
      method: 'POST',
      url: '{{integration.settings.base_url}}/orders',
      body: 'input',
      parse: 'auto',
      timeoutMs: TIMEOUT_MS,
    }),
    node('ok', 'condition', 3, { left: '{{input.body.status}}', operator: 'equals', right: 'ok' }),
    node('answer', 'extract', 4, { fields: [{ key: 'eid', value: 'body.id' }], required: 'eid' }),
    node('accepted', 'update-lead', 5, { find: 'lead', setEid: '{{input.eid}}', stage: 'wait', status: 'ok' }),
    // the account's errors (and answers without a message) are no verdict on the lead: it stays new
    node('account', 'condition', 4, { left: '{{input.body.message}}', operator: 'matches', right: '^(invalid key|banned|)$' }),
    node('rejected', 'update-lead', 5, {
      find: 'lead',
      stage: 'cancel',
      status: 'error',
      reason: '{{input.body.message | default:"refused by the target"}}',
    }),
  ],
  edges: [
    edge('lead', 'order'),
    edge('order', 'send'),
    edge('send', 'ok'),
    edge('send', 'ok', 'http_error'),
    edge('ok', 'answer', 'true'),
    edge('answer', 'accepted'),
    edge('ok', 'account', 'false'),
    edge('account', 'rejected', 'false'),
  ],
};

interface Step {
  nodeId: string;
  output?: Record<string, any>;
  http: { request: { url: string }; response?: { status: number; body: string }; outcome: string; error?: string }[];
}
interface ExecutionView {
  id: string;
  state: string;
  error?: { code: string; message: string; nodeId?: string; retryable?: boolean };
  steps: Step[];
}

async function setUp(): Promise<{ t: TestRuntime; target: FaultTarget; post: () => Promise<number> }> {
  const target = await startFaultTarget();
  const t = await startRuntime();
  cleanups.push(
    () => target.close(),
    () => t.close(),
    () => removeDataDir(t.dataDir),
  );
  expect((await t.api('POST', '/api/flows', sendFlow)).status).toBe(201);
  await t.api('POST', '/api/offers', { id: 'tea', name: 'Tea' });
  const created = await t.api('POST', '/api/integrations', {
    id: 'net',
    name: 'Network',
    enabled: true,
    settings: { base_url: target.url },
    offers: ['tea'],
    flows: { 'lead.new': 'send' },
  });
  expect(created.status).toBeLessThan(300);
  let phone = 2345670;
  const post = async () => {
    const posted = await t.api('POST', '/api/leads', { offer: 'tea', phone: `+49 151 ${phone++}` });
    expect(posted.status).toBe(202);
    return posted.body.id as number;
  };
  return { t, target, post };
}

const view = async (t: TestRuntime, id: number) => (await t.api('GET', `/api/leads/${id}`)).body;

/** The lead once its delivery is over: `done` or `failed` for good. */
async function settled(t: TestRuntime, id: number, timeoutMs = 8000) {
  return waitFor(
    async () => {
      const v = await view(t, id);
      return ['done', 'failed'].includes(v.deliveries[0]?.state) && v;
    },
    `the delivery of lead ${id} to end`,
    timeoutMs,
  );
}

/** Each attempt's execution, oldest first, as `state code` (`success -` when it ended without error). */
const attemptsOf = (executions: ExecutionView[]) => [...executions].reverse().map((e) => `${e.state} ${e.error?.code ?? '-'}`);

const stepOf = (execution: ExecutionView, nodeId: string) => execution.steps.find((s) => s.nodeId === nodeId) as Step;

describe('a target that fails in transit', () => {
  it('hangs past the timeout: the attempt times out, the lead stays new, and the next attempt delivers it', async () => {
    const { t, target, post } = await setUp();
    target.script([fault.hang()]);
    const id = await post();
    const done = await settled(t, id);
    expect(done.lead).toMatchObject({ stage: 'wait', eid: `E-${id}` });
    expect(done.deliveries[0]).toMatchObject({ state: 'done', attempts: 2 });
    expect(attemptsOf(done.executions)).toEqual(['error timeout', 'success -']);
    const timedOut = done.executions[1] as ExecutionView;
    expect(timedOut.error).toMatchObject({ nodeId: 'send', retryable: true, message: `no answer within ${TIMEOUT_MS} ms` });
    // the runtime gave up on the hanging request (closed it) at the timeout, then asked again
    const [hung, second] = target.requests;
    expect(hung.answer).toBe('abandoned');
    // the node's clock starts before the request reaches the target (connecting, a busy loop), so
    // the target sees a little less than the timeout; never the early give-up of a broken timer
    expect(hung.endedAt! - hung.at).toBeGreaterThanOrEqual(TIMEOUT_MS - 150);
    expect(hung.endedAt! - hung.at).toBeLessThan(TIMEOUT_MS + 500);
    expect(second.body).toBe(hung.body);
    expect(target.requests).toHaveLength(2);
  });

  it('stalls half-way through its answer: the attempt times out all the same, and the next one delivers the lead', async () => {
    const { t, target, post } = await setUp();
    target.script([fault.stall()]);
    const id = await post();
    const done = await settled(t, id);
    expect(done.lead).toMatchObject({ stage: 'wait', eid: `E-${id}` });
    expect(done.deliveries[0]).toMatchObject({ state: 'done', attempts: 2 });
    expect(attemptsOf(done.executions)).toEqual(['error timeout', 'success -']);
    const stalled = done.executions[1] as ExecutionView;
    expect(stalled.error).toMatchObject({
      retryable: true,
      message: `no answer within ${TIMEOUT_MS} ms (the body did not finish in time)`,
    });
    // the record keeps the status and the part that came
    expect(stepOf(stalled, 'send').http[0]).toMatchObject({ outcome: 'timeout', response: { status: 200, body: '{"status":"ok",' } });
    expect(target.requests.map((r) => r.answer)).toEqual(['abandoned', 'sent']);
  });

  it('resets the connection: a retryable network error, and the next attempt delivers the lead', async () => {
    const { t, target, post } = await setUp();
    target.script([fault.reset()]);
    const id = await post();
    const done = await settled(t, id);
    expect(done.lead).toMatchObject({ stage: 'wait', eid: `E-${id}` });
    expect(done.deliveries[0]).toMatchObject({ state: 'done', attempts: 2 });
    expect(attemptsOf(done.executions)).toEqual(['error network_error', 'success -']);
    expect(done.executions[1].error).toMatchObject({
      nodeId: 'send',
      retryable: true,
      message: expect.stringMatching(/ECONNRESET|socket/i),
    });
    expect(target.requests.map((r) => r.answer)).toEqual(['cut', 'sent']);
  });

  it('writes half its answer and drops the connection: never read as an answer, retried until one arrives whole', async () => {
    const { t, target, post } = await setUp();
    // half of '{"status":"ok","id":"E-HALF",…}', announced by Content-Length, then chunked
    target.script([fault.halfBody('content-length'), fault.halfBody('chunked')]);
    const id = await post();
    const done = await settled(t, id);
    expect(done.lead).toMatchObject({ stage: 'wait', eid: `E-${id}` });
    expect(done.deliveries[0]).toMatchObject({ state: 'done', attempts: 3 });
    expect(attemptsOf(done.executions)).toEqual(['error network_error', 'error network_error', 'success -']);
    const [byLength, chunked] = [done.executions[2], done.executions[1]] as ExecutionView[];
    expect(byLength.error).toMatchObject({
      retryable: true,
      message: expect.stringMatching(/^the connection ended after 23 of 47 bytes of the answer/),
    });
    expect(chunked.error).toMatchObject({
      retryable: true,
      message: expect.stringMatching(/^the connection ended after 23 bytes of the answer/),
    });
    // the log shows what came: the status and the half body
    expect(stepOf(byLength, 'send').http[0]).toMatchObject({
      outcome: 'network_error',
      response: { status: 200, body: '{"status":"ok","id":"E-' },
    });
    expect(target.requests.map((r) => r.answer)).toEqual(['cut', 'cut', 'sent']);
  });
});

describe('a target that answers badly', () => {
  it('answers 500: the lead stays new and is sent again, the same request each time, until accepted', async () => {
    const { t, target, post } = await setUp();
    target.script([fault.status(500), fault.status(500)]);
    const id = await post();
    const done = await settled(t, id);
    expect(done.lead).toMatchObject({ stage: 'wait', eid: `E-${id}` });
    expect(done.deliveries[0]).toMatchObject({ state: 'done', attempts: 3 });
    expect(attemptsOf(done.executions)).toEqual(['error http_error', 'error http_error', 'success -']);
    expect(done.executions[2].error).toMatchObject({ message: 'HTTP 500', retryable: true, nodeId: 'send' });
    // a 500 is no refusal: the flow's refusal branch never ran
    expect(done.history.map((h: { stage: string }) => h.stage)).toEqual(['wait']);
    expect(new Set(target.requests.map((r) => r.body)).size).toBe(1);
  });

  it('answers 200 with malformed JSON: the flow sees the text and the parse error, the run fails as unreadable_answer and is retried, never cancelled', async () => {
    const { t, target, post } = await setUp();
    target.script([fault.malformedJson()]);
    const id = await post();
    const over = await settled(t, id);
    // the second attempt gets the target's usual answer
    expect(over.lead).toMatchObject({ stage: 'wait', eid: `E-${id}` });
    expect(over.deliveries[0]).toMatchObject({ state: 'done', attempts: 2 });
    const first = (over.executions as ExecutionView[]).at(-1)!;
    const send = stepOf(first, 'send');
    expect(send.output).toMatchObject({ status: 200, ok: true, body: '{"status":"ok","id":"E-BROKEN",', jsonError: expect.any(String) });
    // no status to read: the account branch, never the refusal; the execution says why it failed
    expect(first.steps.map((s) => s.nodeId)).toEqual(['lead', 'order', 'send', 'ok', 'account']);
    expect(first.state).toBe('error');
    expect(first.error).toMatchObject({ code: 'unreadable_answer', retryable: true });
    expect(target.requests).toHaveLength(2);
  });

  it('answers 200 with an error body about the account: no verdict, the lead stays new and is not cancelled', async () => {
    const { t, target, post } = await setUp();
    target.script([fault.errorBody('invalid key')]);
    const id = await post();
    const over = await settled(t, id);
    expect(over.lead.stage).toBe('new');
    expect(over.lead.reason ?? '').toBe('');
    expect(over.deliveries[0]).toMatchObject({ state: 'failed', attempts: 1 });
    expect(over.deliveries[0].lastError).toMatch(/the flow ended without moving the lead on/);
    const execution = over.executions[0] as ExecutionView;
    expect(stepOf(execution, 'send').output).toMatchObject({ status: 200, body: { status: 'error', message: 'invalid key' } });
    expect(execution.steps.map((s) => s.nodeId)).toEqual(['lead', 'order', 'send', 'ok', 'account']);
    expect(execution.state).toBe('error');
    expect(execution.error).toMatchObject({ code: 'no_verdict', retryable: false });
    expect(target.requests).toHaveLength(1);
  });

  it('answers 200 with an error body about the lead: the flow cancels it with the message, once', async () => {
    const { t, target, post } = await setUp();
    target.script([fault.errorBody('phone is on the blacklist')]);
    const id = await post();
    const over = await settled(t, id);
    expect(over.lead).toMatchObject({ stage: 'cancel', status: 'error', reason: 'phone is on the blacklist' });
    expect(over.deliveries[0]).toMatchObject({ state: 'done', attempts: 1 });
    expect(attemptsOf(over.executions)).toEqual(['success -']);
    expect(over.executions[0].steps.map((s: Step) => s.nodeId)).toEqual(['lead', 'order', 'send', 'ok', 'account', 'rejected']);
    expect(target.requests).toHaveLength(1);
  });

  it.each(['content-length', 'chunked'] as const)(
    'answers 50 MB (%s): reading stops at 5 MB, the delivery fails as response_too_large once, and the next lead still goes',
    async (framing) => {
      const { t, target, post } = await setUp();
      target.script([fault.hugeBody(50 * 1024 * 1024, framing)]);
      const id = await post();
      const over = await settled(t, id, 15_000);
      expect(over.lead.stage).toBe('new');
      expect(over.deliveries[0]).toMatchObject({ state: 'failed', attempts: 1 });
      expect(over.deliveries[0].lastError).toMatch(/^response_too_large: /);
      const execution = over.executions[0] as ExecutionView;
      expect(execution.state).toBe('error');
      expect(execution.error).toMatchObject({ code: 'response_too_large', nodeId: 'send', retryable: false });
      // the flow stopped at send: neither its accepting nor its refusing branch ran
      expect(execution.steps.map((s) => s.nodeId)).toEqual(['lead', 'order', 'send']);
      // the runtime dropped the connection long before 50 MB: the target could not write it all
      const [huge] = target.requests;
      expect(huge.answer).toBe('abandoned');
      expect(huge.bodyBytesSent).toBeLessThan(20 * 1024 * 1024);
      // what is kept of the answer is the record's cap at most, with the status that came
      const exchange = stepOf(execution, 'send').http[0];
      expect(exchange).toMatchObject({ outcome: 'network_error', response: { status: 200 } });
      if (framing === 'content-length') expect(exchange.response!.body).toBe('');
      else
        expect(exchange.response!.body).toMatch(
          /^\{"status":"ok","id":"E-HUGE","padding":"x+ \[cut by the HTTP client: the answer went past 5 MB; the rest was not read\]$/,
        );
      expect(JSON.stringify(execution).length).toBeLessThan(RECORD_LIMITS.step * 2);
      expect(JSON.stringify(over).length).toBeLessThan(RECORD_LIMITS.step * 2);

      // nothing else broke: the next lead is delivered as usual
      const next = await post();
      const delivered = await settled(t, next);
      expect(delivered.lead).toMatchObject({ stage: 'wait', eid: `E-${next}` });
      expect(target.requests).toHaveLength(2);
    },
  );
});
