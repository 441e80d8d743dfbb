/**
 * The integration page in a real browser against the real runtime and a mock CRM that answers
 * statuses for a batch of order ids: "Check now" shows its progress and then a summary of what it
 * did; only flows meant for this integration (or for any) are offered per event, and a new one is
 * bound to it; the postback URL's token stays masked until shown and is copied whole; the checklist
 * left by "New from template" is the server's, so a second browser sees it too; deleting lists what
 * goes with the integration and what stays, and is refused while an offer routes to it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FlowDoc } from '../../core/domain/flow.ts';
import { TEST_ADMIN, readFlow, waitFor } from '../support/harness.ts';
import { ARTIFACTS, buildEditor, launchBrowser, startEditorWorld, type EditorWorld, type TargetRequest } from './browser.ts';

let world: EditorWorld;
const eventually = <T>(read: () => Promise<T>, timeout = 10_000) => expect.poll(read, { timeout, interval: 50 });

/** The CRM: takes orders as E1, E2, …; for statuses, E1 is confirmed and every other order still processing. */
function crm(request: TargetRequest, n: number): { status: number; body: unknown } {
  const url = new URL(request.url, 'http://127.0.0.1');
  if (url.pathname === '/api/orders') return { status: 200, body: { status: 'ok', order_id: `E${n}` } };
  if (url.pathname === '/status') {
    const ids = (url.searchParams.get('ids') ?? '').split(',').filter(Boolean);
    return { status: 200, body: { orders: ids.map((id) => ({ order_id: id, status: id === 'E1' ? 'confirmed' : 'processing' })) } };
  }
  return { status: 404, body: { error: 'no route' } };
}

const node = (id: string, type: string, x: number, params: Record<string, unknown> = {}) => ({ id, type, position: { x, y: 0 }, params });
const edge = (source: string, target: string, sourceHandle = 'out') => ({
  id: `${source}-${target}`,
  source,
  sourceHandle,
  target,
  targetHandle: 'in',
});

const processing = {
  id: 'acme-statuses',
  name: 'Acme: statuses',
  event: 'status.processing',
  integration: 'acme',
  nodes: [
    node('check', 'status-check', 0, { schedule: '10m', batchSize: 2 }),
    node('ask', 'http-request', 1, { method: 'GET', url: '{{integration.settings.base_url}}/status?ids={{batch.eids | join:","}}' }),
    node('each', 'for-each', 2, { items: '{{input.body.orders}}' }),
    node('stage', 'map-status', 3, {
      value: '{{item.status}}',
      rules: [
        { match: 'exact', value: 'processing', stage: 'wait' },
        { match: 'exact', value: 'confirmed', stage: 'approve' },
      ],
    }),
    node('save', 'update-lead', 4, { find: 'eid', eid: '{{item.order_id}}', setEid: '' }),
  ],
  edges: [edge('check', 'ask'), edge('ask', 'each'), edge('each', 'stage', 'item'), edge('stage', 'save')],
};

async function api(method: string, route: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(world.baseUrl + route, {
    method,
    headers: { cookie: world.cookie, 'content-type': 'application/json', origin: world.baseUrl },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

/** The page at 1440×900 and 1280×720, scrolled to `section` when given. */
async function screenshots(page: Page, name: string, section?: string): Promise<void> {
  if (section) await page.getByTestId(section).scrollIntoViewIfNeeded();
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}-1440.png`), fullPage: true });
  await page.setViewportSize({ width: 1280, height: 720 });
  if (section) await page.getByTestId(section).scrollIntoViewIfNeeded();
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}-1280.png`), fullPage: true });
  await page.setViewportSize({ width: 1440, height: 900 });
}

let leads: number[] = [];

beforeAll(async () => {
  await buildEditor();
  world = await startEditorWorld({ answer: crm });
  const { runtime } = world;
  await runtime.flows.save(readFlow('flows/demo/demo-crm-send.json') as unknown as FlowDoc, 'anna');
  await runtime.flows.save(processing as unknown as FlowDoc, 'anna');
  // another integration's flow: never offered on acme's page
  await runtime.flows.save(
    { ...(readFlow('flows/demo/demo-crm-send.json') as unknown as FlowDoc), id: 'zen-send', name: 'Zen: send', integration: 'zen' },
    'anna',
  );
  await runtime.integrations.update('acme', {
    enabled: true,
    secrets: { api_secret: 's-456-secret' },
    flows: { 'lead.new': 'demo-crm-send', 'status.processing': 'acme-statuses' },
  });
  // an offer without parameters, for the template's integration
  await runtime.offers.put({ id: 'cream', name: 'Night cream', parameters: {}, goals: [], products: [] });
  for (let i = 0; i < 3; i++) {
    const res = await fetch(`${world.baseUrl}/api/leads`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': world.intakeKey },
      body: JSON.stringify({ offer: 'tea', phone: `+49151000000${i}`, name: 'Anna' }),
    });
    leads.push(((await res.json()) as { id: number }).id);
  }
  leads = leads.sort((a, b) => a - b);
  for (const id of leads)
    await waitFor(async () => (await api('GET', `/api/leads/${id}`)).body.lead.stage === 'wait', `lead ${id} delivered`);
}, 240_000);

afterAll(async () => {
  await world?.close();
});

describe('the integration page', () => {
  it('shows the status check’s schedule, runs “Check now” with its progress, then a summary of leads checked, moved and unchanged', async () => {
    const { page, baseUrl } = world;
    await page.goto(`${baseUrl}/#/integrations/acme`);
    const checks = page.getByTestId('status-checks');
    await eventually(() => checks.getByTestId('check-schedule-status.processing').textContent()).toMatch(
      /^Runs every 10 minutes · next at /,
    );
    await eventually(() => checks.textContent()).toContain('Not run since the runtime started');

    await checks.getByTestId('check-now-status.processing').click();
    // followed as long work: its progress over the stream, then its summary
    const work = checks.getByTestId('check-work-status.processing').getByTestId('work-progress');
    await work.waitFor();
    expect(await work.locator('.lf-work__head').textContent()).toMatch(
      /^When the status is checked \(leads in processing\) of acme(\d+ leads? so far|Finished)$/,
    );
    await eventually(() => work.getAttribute('data-state')).toBe('done');
    expect(await work.getByTestId('work-counts').innerText()).toMatch(/^3 leads checked \(1 moved, 2 unchanged\)\s+0 failed$/);
    await eventually(() => checks.getByTestId('check-now-status.processing').textContent()).toBe('Check now');
    // the target was asked in batches of two, and the confirmed order moved
    expect((await api('GET', `/api/leads/${leads[0]}`)).body.lead.stage).toBe('approve');
    expect((await api('GET', `/api/leads/${leads[1]}`)).body.lead.stage).toBe('wait');
    await screenshots(page, 'integration-page-checks', 'status-checks');
    // closed, the summary stays as the last check's
    await work.getByTestId('work-close').click();
    expect(await checks.getByTestId('check-last-status.processing').textContent()).toMatch(
      /^Last check, .+: 3 leads checked: 1 moved, 2 unchanged, 0 failed in \d+\.\d s$/,
    );
  });

  it('offers per event only the flows meant for this integration or for any, and binds a new one to it at its first publish', async () => {
    const { page, baseUrl } = world;
    await page.goto(`${baseUrl}/#/integrations/acme`);
    const flows = page.getByTestId('event-flows');
    await eventually(() => flows.locator('tr[data-event="lead.new"]').textContent()).toContain('When a new lead arrives');
    const options = () =>
      flows
        .getByTestId('flow-for-lead.new')
        .locator('option')
        .evaluateAll((items) => items.map((o) => (o as HTMLOptionElement).value));
    await eventually(options).toEqual(['', 'demo-crm-send']);
    await screenshots(page, 'integration-page-flows', 'event-flows');
    expect(await flows.getByTestId('flow-for-status.processing').locator('option').allTextContents()).toEqual([
      '(none)',
      'Acme: statuses (v1)',
    ]);

    // lead.update has no flow to choose: it is offered as another event to handle
    expect(await flows.locator('tr[data-event="lead.update"]').count()).toBe(0);
    await flows.locator('#another-event').selectOption({ label: 'When a lead is changed (upsell or correction)' });
    await flows.getByTestId('new-flow-for-event').click();
    await eventually(() => page.evaluate(() => location.hash)).toBe('#/flows/acme-lead-update');
    // the new flow is the user's draft, made for this integration: nothing live, nothing bound, no lead runs it
    const made = (await api('GET', '/api/flows/acme-lead-update/draft')).body;
    expect(made).toMatchObject({
      baseVersion: 0,
      doc: { event: 'lead.update', integration: 'acme', nodes: [expect.objectContaining({ type: 'lead-in' })] },
    });
    expect((await api('GET', '/api/flows/acme-lead-update')).status).toBe(404);
    expect((await api('GET', '/api/integrations/acme')).body.flows['lead.update']).toBeUndefined();
    await page.goto(`${baseUrl}/#/integrations/acme`);
    await eventually(() => flows.getByTestId('draft-for-lead.update').textContent()).toContain('is not published yet');
    await screenshots(page, 'integration-page-flow-draft', 'event-flows');

    // its first publish binds it to the event
    expect((await api('POST', '/api/flows/acme-lead-update/publish', { message: 'first' })).status).toBe(200);
    expect((await api('GET', '/api/integrations/acme')).body.flows['lead.update']).toBe('acme-lead-update');
  });

  it('masks the postback token until shown, and copies the whole URL', async () => {
    const { page, baseUrl, context } = world;
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: baseUrl });
    const full = (await api('GET', '/api/integrations/acme')).body.postbackUrl as string;
    const token = new URL(full).searchParams.get('token') as string;
    await page.goto(`${baseUrl}/#/integrations/acme`);
    const field = page.getByTestId('postback-url');
    await eventually(() => field.inputValue()).toBe(full.replace(token, '••••••••'));
    expect(await page.getByTestId('postback-url-section').textContent()).not.toContain(token);

    await screenshots(page, 'integration-page-postback', 'postback-url-section');
    await page.getByTestId('postback-url-copy').click();
    await eventually(() => page.evaluate(() => navigator.clipboard.readText())).toBe(full);
    await page.getByTestId('postback-url-show').click();
    expect(await field.inputValue()).toBe(full);
    await page.getByTestId('postback-url-show').click();
    expect(await field.inputValue()).not.toContain(token);
  });

  it('lists what “New from template” left missing from the server, so another browser sees the same checklist', async () => {
    const { page, baseUrl } = world;
    await page.goto(`${baseUrl}/#/integrations`);
    await page.getByTestId('new-from-template').click();
    await page.getByTestId('template-list').locator('[data-template-id="altercpa"]').click();
    const form = page.getByTestId('template-form');
    await page.locator('#from-template-name').fill('Second network');
    await page.getByLabel('Network address').fill(world.target.url);
    await page.getByLabel('API key').fill('key-0a1b2c3d');
    await form.locator('[data-offer-id="cream"] input').check();
    await page.getByTestId('create-from-template').click();
    const missing = page.getByTestId('missing');
    await eventually(() =>
      missing.locator('[data-missing]').evaluateAll((items) => items.map((i) => i.getAttribute('data-missing'))),
    ).toEqual(['settings.user_id', 'offer.cream']);
    const server = (await api('GET', '/api/integrations/second-network/readiness')).body;
    expect(server.gaps.map((g: { field: string }) => g.field)).toEqual(['settings.user_id', 'offers.cream.parameters.altercpa_offer']);

    // another browser, with nothing kept from the first: the integration's page lists the same gaps
    const profile = mkdtempSync(path.join(tmpdir(), 'leadflow-chromium-second-'));
    let other: BrowserContext | undefined;
    try {
      other = await launchBrowser(profile);
      const login = await other.request.post(`${baseUrl}/api/session`, { data: { name: TEST_ADMIN.name, password: TEST_ADMIN.password } });
      expect(login.status()).toBe(200);
      const second = other.pages()[0] ?? (await other.newPage());
      await second.goto(`${baseUrl}/#/integrations/second-network`);
      const checklist = second.getByTestId('readiness');
      await eventually(() => checklist.locator('[data-gap]').evaluateAll((items) => items.map((i) => i.getAttribute('data-gap')))).toEqual([
        'settings.user_id',
        'offers.cream.parameters.altercpa_offer',
      ]);
      await second.screenshot({ path: path.join(ARTIFACTS, 'integration-page-readiness-second-browser.png') });
    } finally {
      await other?.close();
      rmSync(profile, { recursive: true, force: true });
    }
  });

  it('refuses to delete while an offer routes to it, naming the offer', async () => {
    const { page, baseUrl, runtime } = world;
    await runtime.offers.put({
      id: 'cream',
      name: 'Night cream',
      parameters: {},
      goals: [],
      products: [],
      routes: { new: 'second-network' },
    });
    await page.goto(`${baseUrl}/#/integrations/second-network`);
    await page.getByTestId('delete-integration').click();
    const blocked = page.getByTestId('delete-blocked');
    await eventually(() => blocked.textContent()).toContain('the offer cream routes leads to it');
    expect(await page.getByTestId('confirm-delete').count()).toBe(0);
    await page.getByTestId('delete-dialog').getByRole('button', { name: 'Close' }).click();
    expect((await api('GET', '/api/integrations/second-network')).status).toBe(200);
  });

  it('deletes after a confirmation that lists what goes with it and what stays', async () => {
    const { page, baseUrl } = world;
    await page.goto(`${baseUrl}/#/integrations/acme`);
    await page.getByTestId('delete-integration').click();
    const takes = page.getByTestId('delete-takes');
    await eventually(() => takes.locator('[data-takes="flows"]').textContent()).toBe(
      '2 flows made for it: Acme: statuses, Acme CRM: when a lead is changed (upsell or correction)',
    );
    expect(await takes.locator('[data-takes="secrets"]').textContent()).toBe('2 secrets: api_key, api_secret');
    expect(await takes.locator('[data-takes="checks"]').textContent()).toBe(
      'Its status checks stop: when the status is checked (leads in processing)',
    );
    expect(await takes.locator('[data-takes="offers"]').textContent()).toContain('New leads of 1 offer (tea) go nowhere');
    const keeps = await page.getByTestId('delete-keeps').textContent();
    expect(keeps).toContain('Its leads, with their stages and history.');
    expect(keeps).toContain('Its executions in the integration log.');
    expect(keeps).toContain('Flows for any integration it used: Demo CRM');
    const confirm = page.getByTestId('confirm-delete');
    expect(await confirm.isDisabled()).toBe(true);
    await page.locator('#delete-confirm-id').fill('acme');
    await screenshots(page, 'integration-page-delete');
    await confirm.click();

    await eventually(() => page.evaluate(() => location.hash)).toBe('#/integrations');
    await eventually(() =>
      page.locator('[data-integration-id]').evaluateAll((cards) => cards.map((c) => c.getAttribute('data-integration-id'))),
    ).toEqual(['second-network']);
    expect((await api('GET', '/api/integrations/acme')).status).toBe(404);
    expect((await api('GET', '/api/flows/acme-statuses')).status).toBe(404);
    expect((await api('GET', '/api/flows/demo-crm-send')).status).toBe(200);
    expect((await api('GET', `/api/leads/${leads[0]}`)).body.lead.stage).toBe('approve');
    const audit = (await api('GET', '/api/audit?limit=100')).body.entries as {
      action: string;
      resourceId: string;
      actor?: { name: string };
    }[];
    const deleted = audit.filter((e) => e.action.endsWith('.delete')).map((e) => `${e.action} ${e.resourceId} by ${e.actor?.name}`);
    expect(deleted).toEqual(
      expect.arrayContaining([
        'integration.delete acme by admin',
        'flow.delete acme-statuses by admin',
        'flow.delete acme-lead-update by admin',
      ]),
    );
  });
});
