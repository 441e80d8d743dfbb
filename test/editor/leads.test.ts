/**
 * The screens integrators debug with, in a real browser against the real runtime and a local mock
 * target that accepts one lead and rejects the other: the lead list with stages, a rejected lead's
 * history and its execution with the HTTP request and the target's answer, and the integration log.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FlowDoc } from '../../core/domain/flow.ts';
import { ARTIFACTS, buildEditor, startEditorWorld, type EditorWorld } from './browser.ts';

let world: EditorWorld;

const eventually = <T>(read: () => Promise<T>) => expect.poll(read, { timeout: 10_000, interval: 50 });

/**
 * The Acme CRM: a phone ending in 9 is a duplicate it refuses with 422; one ending in 8 gets, the
 * first time, an answer without an order id (Extract misses it: the delivery fails
 * for good); any other is an order.
 */
let glitches = 0;
let glitches6 = 0;
const answer = (request: { body: string }, n: number) => {
  const order = JSON.parse(request.body || '{}') as { phone?: string };
  if (order.phone?.endsWith('9')) return { status: 422, body: { status: 'rejected', error: 'duplicate phone' } };
  if (order.phone?.endsWith('8') && glitches++ === 0) return { status: 200, body: { status: 'ok' } };
  if (order.phone?.endsWith('6') && glitches6++ === 0) return { status: 200, body: { status: 'ok' } };
  return { status: 200, body: { status: 'ok', order_id: `T-${n}` } };
};

const sendFlow: Omit<FlowDoc, 'version'> = {
  id: 'acme-send',
  name: 'Acme: send a lead',
  event: 'lead.new',
  nodes: [
    { id: 'lead', type: 'lead-in', position: { x: 0, y: 120 }, params: {} },
    {
      id: 'order',
      type: 'json-build',
      position: { x: 240, y: 120 },
      params: { body: { name: '{{lead.name}}', phone: '{{lead.phone | digits}}', offer: '{{offer.params.crm_offer_id}}' } },
    },
    {
      id: 'send',
      type: 'http-request',
      position: { x: 480, y: 120 },
      params: {
        method: 'POST',
        url: '{{integration.settings.base_url}}/orders',
        headers: [{ key: 'X-Api-Key', value: '{{secrets.api_key}}' }],
        body: 'input',
      },
    },
    {
      id: 'answer',
      type: 'extract',
      position: { x: 720, y: 40 },
      params: {
        fields: [
          { key: 'eid', value: 'body.order_id' },
          { key: 'status', value: 'body.status' },
        ],
        required: 'eid',
      },
    },
    {
      id: 'stage',
      type: 'map-status',
      position: { x: 960, y: 40 },
      params: { value: '{{input.status}}', rules: [{ match: 'exact', value: 'ok', stage: 'wait' }], default: '' },
    },
    { id: 'accepted', type: 'update-lead', position: { x: 1200, y: 40 }, params: {} },
    {
      id: 'refusal',
      type: 'extract',
      position: { x: 720, y: 240 },
      params: {
        fields: [
          { key: 'reason', value: 'body.error' },
          { key: 'status', value: 'body.status' },
        ],
      },
    },
    {
      id: 'rejected',
      type: 'update-lead',
      position: { x: 960, y: 240 },
      params: { stage: 'cancel', reason: '{{input.reason}}', status: '{{input.status}}', statusCode: '{{nodes.send.status}}' },
    },
  ],
  edges: [
    { id: 'e1', source: 'lead', sourceHandle: 'out', target: 'order', targetHandle: 'in' },
    { id: 'e2', source: 'order', sourceHandle: 'out', target: 'send', targetHandle: 'in' },
    { id: 'e3', source: 'send', sourceHandle: 'out', target: 'answer', targetHandle: 'in' },
    { id: 'e4', source: 'answer', sourceHandle: 'out', target: 'stage', targetHandle: 'in' },
    { id: 'e5', source: 'stage', sourceHandle: 'out', target: 'accepted', targetHandle: 'in' },
    { id: 'e6', source: 'send', sourceHandle: 'http_error', target: 'refusal', targetHandle: 'in' },
    { id: 'e7', source: 'refusal', sourceHandle: 'out', target: 'rejected', targetHandle: 'in' },
  ],
};

async function postLead(lead: Record<string, unknown>): Promise<number> {
  const res = await fetch(`${world.baseUrl}/api/leads`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': world.intakeKey },
    body: JSON.stringify(lead),
  });
  expect(res.status).toBe(202);
  return ((await res.json()) as { id: number }).id;
}

async function stageOf(id: number): Promise<string> {
  const res = await fetch(`${world.baseUrl}/api/leads/${id}`, { headers: { cookie: world.cookie } });
  return ((await res.json()) as { lead: { stage: string } }).lead.stage;
}

/** The state of the lead's lead.new job: done only once its run stored the execution (the stage is written mid-run). */
async function deliveryOf(id: number): Promise<string | undefined> {
  const res = await fetch(`${world.baseUrl}/api/leads/${id}`, { headers: { cookie: world.cookie } });
  return ((await res.json()) as { deliveries: { kind: string; state: string }[] }).deliveries.find((job) => job.kind === 'lead.new')?.state;
}

beforeAll(async () => {
  await buildEditor();
  world = await startEditorWorld({ answer });
  await world.runtime.flows.save(sendFlow as FlowDoc, 'anna');
  await world.runtime.integrations.update('acme', { flows: { 'lead.new': 'acme-send' }, enabled: true });
}, 120_000);

afterAll(async () => {
  await world?.close();
});

describe('leads and the integration log', () => {
  it('shows leads with their stages, a rejected lead with its history and execution, and the log', async () => {
    const { page, baseUrl, target } = world;
    const accepted = await postLead({ offer: 'tea', name: 'Anna Schmidt', phone: '+49 151 2345670', country: 'de', subid: 'click-1' });
    const rejected = await postLead({ offer: 'tea', name: 'Bernd Maier', phone: '+49 151 2345679', country: 'de', subid: 'click-2' });
    await eventually(() => stageOf(accepted)).toBe('wait');
    await eventually(() => stageOf(rejected)).toBe('cancel');
    // the pages below show the job done and the executions
    for (const id of [accepted, rejected]) await eventually(() => deliveryOf(id)).toBe('done');
    expect(target.requests).toHaveLength(2);

    // the list, newest first, each with its stage
    await page.goto(`${baseUrl}/#/`);
    await page.getByTestId('nav-leads').click();
    const rows = page.getByTestId('leads').locator('tbody tr');
    await eventually(() => rows.count()).toBe(2);
    expect(await rows.first().getAttribute('data-lead-id')).toBe(String(rejected));
    const row = (id: number) => page.locator(`[data-lead-id="${id}"]`);
    expect(await row(accepted).locator('[data-stage]').textContent()).toBe('wait');
    expect(await row(accepted).textContent()).toContain('T-1');
    expect(await row(rejected).locator('[data-stage]').textContent()).toBe('cancel');
    expect(await row(rejected).textContent()).toContain('rejected');
    // the offer and the integration by name, the id as the tooltip
    expect(await row(accepted).locator('[data-offer-id="tea"]').textContent()).toBe('Slimming tea');
    expect(await row(accepted).locator('[data-offer-id="tea"]').getAttribute('title')).toBe('offer id: tea');
    expect(await row(accepted).locator('[data-integration-id="acme"]').textContent()).toBe('Acme CRM');
    expect(await row(accepted).locator('[data-integration-id="acme"]').getAttribute('title')).toBe('integration id: acme');
    await page.screenshot({ path: path.join(ARTIFACTS, 'leads-list.png') });

    // filtered by stage
    await page.getByTestId('filter-stage').selectOption('cancel');
    await eventually(() => rows.count()).toBe(1);
    expect(page.url()).toContain('stage=cancel');

    // the rejected lead: its history and its execution
    await row(rejected).click();
    await page.getByTestId('lead-page').waitFor();
    const history = page.getByTestId('lead-history');
    await eventually(() => history.textContent()).toContain('delivery');
    expect(await history.locator('[data-stage]').allTextContents()).toEqual(['new', 'cancel']);
    expect(await history.textContent()).toContain('duplicate phone');
    expect(await page.getByTestId('lead-status').textContent()).toContain('duplicate phone');
    // the target's raw status text and code, side by side
    expect(await page.getByTestId('lead-raw-status').textContent()).toBe('rejected');
    expect(await page.getByTestId('lead-status-code').textContent()).toBe('422');
    expect(await page.getByTestId('lead-deliveries').locator('[data-job-kind="lead.new"]').getAttribute('data-job-state')).toBe('done');
    expect(await page.getByTestId('lead-fields').textContent()).toContain('Bernd Maier');
    const head = page.getByTestId('lead-page').locator('.lf-page__head');
    expect(await head.locator('[data-offer-id="tea"]').textContent()).toBe('Slimming tea');
    expect(await head.locator('[data-integration-id="acme"]').textContent()).toBe('Acme CRM');
    expect(await page.getByTestId('deliver-again').count()).toBe(0);
    const executions = page.getByTestId('executions').locator('tbody tr');
    await eventually(() => executions.count()).toBe(1);
    expect(await executions.first().textContent()).toContain('acme-send');
    await page.screenshot({ path: path.join(ARTIFACTS, 'leads-rejected-lead.png'), fullPage: true });

    // node by node: the request sent and the target's answer, the secret redacted
    await executions.first().click();
    await page.getByTestId('execution-page').waitFor();
    const steps = page.getByTestId('execution-steps').locator('button');
    expect(await steps.evaluateAll((buttons) => buttons.map((b) => b.getAttribute('data-node-id')))).toEqual([
      'lead',
      'order',
      'send',
      'refusal',
      'rejected',
    ]);
    const exchange = page.getByTestId('http-exchange');
    await eventually(() => exchange.textContent()).toContain('POST');
    const text = (await exchange.textContent()) ?? '';
    expect(text).toContain(`${target.url}/orders`);
    expect(text).toContain('"phone": "491512345679"'); // the body sent
    expect(text).toContain('HTTP 422');
    expect(text).toContain('duplicate phone');
    expect(text).toContain('[secret]');
    expect(text).not.toContain('k-123-secret');
    await page.screenshot({ path: path.join(ARTIFACTS, 'leads-execution.png'), fullPage: true });

    // another step's output
    await steps.filter({ hasText: 'refusal' }).click();
    await eventually(() => page.getByTestId('step-details').textContent()).toContain('duplicate phone');

    // the integration log: both executions; by flow, one opens with its path on the canvas
    await page.getByTestId('nav-log').click();
    const logRows = page.getByTestId('log-page').locator('[data-execution-id]');
    await eventually(() => logRows.count()).toBe(2);
    expect(await logRows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-state')))).toEqual(['success', 'success']);
    expect(await logRows.first().textContent()).toContain(`#${rejected}`);
    await page.screenshot({ path: path.join(ARTIFACTS, 'leads-integration-log.png') });

    await page.getByTestId('filter-flow').selectOption('acme-send');
    await eventually(async () => page.url()).toContain('flow=acme-send');
    await logRows.last().click();
    await page.getByTestId('execution-canvas').waitFor();
    const runOf = (id: string) => page.locator(`.react-flow__node[data-id="${id}"] .lf-node`).getAttribute('data-run');
    await eventually(() => runOf('accepted')).toBe('ok');
    expect(await runOf('rejected')).toBe('skipped');
    expect(await page.locator('.react-flow__edge.edge-taken').count()).toBe(5);
    // a node clicked on the canvas shows its step
    await page.locator('.react-flow__node[data-id="answer"]').click();
    await eventually(() => page.locator('.lf-exec__step.is-on').getAttribute('data-node-id')).toBe('answer');
    await page.screenshot({ path: path.join(ARTIFACTS, 'leads-execution-canvas.png') });
  }, 90_000);

  it('delivers again a lead still new whose delivery failed for good', async () => {
    const { page, baseUrl } = world;
    const id = await postLead({ offer: 'tea', name: 'Clara Vogel', phone: '+49 151 2345678', country: 'de' });
    await page.goto(`${baseUrl}/#/leads/${id}`);
    const send = page.getByTestId('lead-deliveries').locator('[data-job-kind="lead.new"]');
    await eventually(() => send.getAttribute('data-job-state')).toBe('failed');
    expect(await send.textContent()).toContain('missing in the answer: eid');
    expect(await page.getByTestId('lead-page').locator('h1 + [data-stage]').textContent()).toBe('new');
    // flagged as a failed delivery, with the error it was given up on
    const delivery = page.getByTestId('lead-delivery');
    expect(await delivery.locator('[data-delivery]').getAttribute('data-delivery')).toBe('failed');
    expect(await page.getByTestId('lead-delivery-error').textContent()).toMatch(/^missing_field: missing in the answer: eid/);
    await page.screenshot({ path: path.join(ARTIFACTS, 'leads-delivery-failed.png'), fullPage: true });
    // and so in the list, where the delivery filter finds it
    await page.goto(`${baseUrl}/#/leads?delivery=failed`);
    const row = page.getByTestId('leads').locator(`tr[data-lead-id="${id}"]`);
    expect(await row.locator('[data-delivery]').getAttribute('data-delivery')).toBe('failed');
    expect(
      await page
        .getByTestId('leads')
        .locator('tbody tr [data-delivery]')
        .evaluateAll((els) => els.map((e) => e.getAttribute('data-delivery'))),
    ).not.toContain('delivered');
    await page.goto(`${baseUrl}/#/leads/${id}`);

    const asked: string[] = [];
    page.once('dialog', (dialog) => {
      asked.push(dialog.message());
      void dialog.accept();
    });
    await page.getByTestId('deliver-again').click();
    await page.getByTestId('notice').filter({ hasText: 'queued for delivery again' }).waitFor();
    expect(asked[0]).toContain(`Resend lead #${id} to Acme CRM?`);
    await eventually(() => page.getByTestId('lead-page').locator('h1 + [data-stage]').textContent()).toBe('wait');
    await eventually(() => page.getByTestId('executions').locator('tbody tr').count()).toBe(2);
    expect(await page.getByTestId('deliver-again').count()).toBe(0);
    await eventually(() => delivery.locator('[data-delivery]').getAttribute('data-delivery')).toBe('delivered');
  }, 60_000);

  it('runs a failed execution again from its page: retry from the failed node, then re-run on the current version', async () => {
    const { page, baseUrl } = world;
    const id = await postLead({ offer: 'tea', name: 'Dora Lenz', phone: '+49 151 2345676', country: 'de' });
    await page.goto(`${baseUrl}/#/leads/${id}`);
    const send = page.getByTestId('lead-deliveries').locator('[data-job-kind="lead.new"]');
    await eventually(() => send.getAttribute('data-job-state')).toBe('failed');
    const executions = (await (await fetch(`${baseUrl}/api/executions?lead=${id}`, { headers: { cookie: world.cookie } })).json()) as {
      executions: { id: number }[];
    };
    await page.goto(`${baseUrl}/#/log/${executions.executions[0].id}`);

    // the recorded answer had no order id: retrying Extract with it fails the same way
    const asked: string[] = [];
    page.once('dialog', (dialog) => {
      asked.push(dialog.message());
      void dialog.accept();
    });
    await page.getByTestId('retry-execution').click();
    await page.getByTestId('notice').filter({ hasText: 'failed again' }).waitFor();
    expect(asked[0]).toContain(`Retry execution #${executions.executions[0].id} for lead #${id} from answer?`);
    await eventually(() => page.locator('h1').textContent()).not.toBe(`Execution #${executions.executions[0].id}`);
    await eventually(() => page.getByTestId('execution-steps').locator('[data-node-id]').first().getAttribute('data-node-id')).toBe(
      'answer',
    );

    // a fresh run asks the CRM again, which now answers with an order id
    page.once('dialog', (dialog) => {
      asked.push(dialog.message());
      void dialog.accept();
    });
    await page.getByTestId('rerun-execution').click();
    await page.getByTestId('notice').filter({ hasText: 'it went through' }).waitFor();
    expect(asked[1]).toMatch(/^Re-run execution #\d+ for lead #\d+ on the current version of flow “acme-send”\?/);
    await page.screenshot({ path: path.join(ARTIFACTS, 'leads-execution-rerun.png'), fullPage: true });
    const lead = (await (await fetch(`${baseUrl}/api/leads/${id}`, { headers: { cookie: world.cookie } })).json()) as {
      lead: { stage: string; eid?: string };
    };
    expect(lead.lead.stage).toBe('wait');
    expect(lead.lead.eid).toMatch(/^T-/);
  }, 60_000);

  it('asks before re-running the lead.new execution of an approved lead, naming its stage, and says the stage did not change', async () => {
    const { page, baseUrl, target } = world;
    const id = await postLead({ offer: 'tea', name: 'Emil Brandt', phone: '+49 151 2345672', country: 'de' });
    await eventually(() => stageOf(id)).toBe('wait');
    // its execution, read below, is stored after the stage
    await eventually(() => deliveryOf(id)).toBe('done');
    const approved = await fetch(`${baseUrl}/api/leads/${id}/stage`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: world.cookie },
      body: JSON.stringify({ stage: 'approve' }),
    });
    expect(approved.status).toBe(200);
    const executions = (await (await fetch(`${baseUrl}/api/executions?lead=${id}`, { headers: { cookie: world.cookie } })).json()) as {
      executions: { id: number }[];
    };
    await page.goto(`${baseUrl}/#/log/${executions.executions[0].id}`);
    await page.getByTestId('execution-page').waitFor();
    const sent = target.requests.length;

    // dismissed: nothing is sent
    const asked: string[] = [];
    page.once('dialog', (dialog) => {
      asked.push(dialog.message());
      void dialog.dismiss();
    });
    await page.getByTestId('rerun-execution').click();
    await eventually(async () => asked.length).toBe(1);
    expect(asked[0]).toContain(`lead ${id} is in stage approve`);
    expect(asked[0]).toContain('Re-run it anyway?');
    expect(target.requests).toHaveLength(sent);

    // confirmed: sent again, and the notice says the lead stays approved
    page.once('dialog', (dialog) => {
      asked.push(dialog.message());
      void dialog.accept();
    });
    await page.getByTestId('rerun-execution').click();
    await page
      .getByTestId('notice')
      .filter({ hasText: `lead #${id}: the lead stays approve` })
      .waitFor();
    expect(asked).toHaveLength(2);
    expect(target.requests).toHaveLength(sent + 1);
    expect(await stageOf(id)).toBe('approve');
    await page.screenshot({ path: path.join(ARTIFACTS, 'leads-rerun-confirmed.png'), fullPage: true });
  }, 60_000);

  it('shows a lead.new run that reached no Update Lead as a red failure with its reason, not a success', async () => {
    const { page, baseUrl } = world;
    const sendOnly = {
      ...sendFlow,
      id: 'acme-send-only',
      name: 'Acme: send and stop',
      nodes: sendFlow.nodes.filter((n) => ['lead', 'order', 'send'].includes(n.id)),
      edges: sendFlow.edges.filter((e) => ['e1', 'e2'].includes(e.id)),
    };
    await world.runtime.flows.save(sendOnly as FlowDoc, 'anna');
    await world.runtime.integrations.update('acme', { flows: { 'lead.new': 'acme-send-only' } });
    try {
      const id = await postLead({ offer: 'tea', name: 'Emil Roth', phone: '+49 151 2345672', country: 'de' });
      await page.goto(`${baseUrl}/#/leads/${id}`);
      const row = page.getByTestId('executions').locator('tbody tr');
      await eventually(() => row.first().getAttribute('data-state')).toBe('error');
      expect(await row.first().locator('.lf-pill').getAttribute('class')).toContain('lf-pill--error');
      expect(await row.first().textContent()).toContain('no_verdict');
      expect(await row.first().textContent()).toContain('the flow ended without moving the lead on');
      await eventually(() => page.getByTestId('lead-delivery').locator('[data-delivery]').getAttribute('data-delivery')).toBe('failed');
      await page.screenshot({ path: path.join(ARTIFACTS, 'leads-no-verdict.png'), fullPage: true });
    } finally {
      await world.runtime.integrations.update('acme', { flows: { 'lead.new': 'acme-send' } });
    }
  }, 60_000);
});
