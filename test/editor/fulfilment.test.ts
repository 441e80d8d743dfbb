/**
 * The network's own call centre path, followed in the editor against the real runtime and the
 * fulfilment CRM sandbox: an offer routed to no target for new leads and to the fulfilment CRM at
 * approve (set on the integration's page), a lead approved by hand on its page, then its id at the
 * fulfilment CRM, its shipping statuses, and a return.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACTS, buildEditor, startEditorWorld, type EditorWorld } from './browser.ts';
import { SANDBOXES, type SandboxTarget } from '../../runtime/sandboxes/index.ts';

let world: EditorWorld;
let fulfilment: SandboxTarget;

const eventually = <T>(read: () => Promise<T>) => expect.poll(read, { timeout: 10_000, interval: 100 });

async function call(method: string, url: string, body?: unknown): Promise<any> {
  const res = await fetch(`${world.baseUrl}${url}`, {
    method,
    headers: { 'content-type': 'application/json', cookie: world.cookie, 'x-api-key': world.intakeKey },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const answer = await res.json();
  if (res.status >= 300) throw new Error(`${method} ${url}: ${res.status} ${JSON.stringify(answer)}`);
  return answer;
}

beforeAll(async () => {
  await buildEditor();
  world = await startEditorWorld();
  fulfilment = await SANDBOXES['fulfilment-crm'].start(0, { stepMs: 300 });
  await world.runtime.offers.put({
    id: 'own',
    name: 'Tea (own call centre)',
    parameters: fulfilment.offerParameters,
    goals: [],
    products: [],
  });
  const created = await call('POST', '/api/integrations/from-template', {
    template: 'fulfilment-crm',
    id: 'fulfil',
    name: 'Fulfilment CRM',
    settings: fulfilment.settings,
    secrets: fulfilment.secrets,
    offers: [],
  });
  await call('PATCH', '/api/integrations/fulfil', { enabled: true });
  fulfilment.setPostbackUrl?.(created.postbackUrl);
}, 120_000);

afterAll(async () => {
  await fulfilment?.close();
  await world?.close();
});

describe('the own call centre path with a fulfilment CRM', () => {
  it('routes an offer from the integration page, approves its leads by hand, and follows them to delivery and a return', async () => {
    const { page, baseUrl } = world;
    await page.goto(`${baseUrl}/#/integrations/fulfil`);
    const routes = page.getByTestId('offer-routes-own');
    // controlled: it shows the offer as saved, so it turns once the save is back
    await routes.getByRole('checkbox', { name: 'our call centre' }).click();
    await eventually(() => page.getByTestId('offer-new-route-own').textContent()).toContain('our own call centre');
    await routes.getByRole('combobox').selectOption('approve');
    await eventually(async () => (await call('GET', '/api/offers/own')).routes).toEqual({
      new: null,
      stages: [{ stage: 'approve', integration: 'fulfil' }],
    });
    await page.screenshot({ path: path.join(ARTIFACTS, 'fulfilment-routes.png') });

    const lead = (phone: string) =>
      call('POST', '/api/leads', {
        offer: 'own',
        name: 'Anna',
        phone,
        city: 'Berlin',
        address: 'Hauptstr. 1',
        goods: [{ product: 'tea', count: 1, price: 39 }],
      });
    const kept = (await lead('+4915100000001')).id as number;
    const returned = (await lead('+4915100000004')).id as number;

    for (const id of [kept, returned]) {
      await page.goto(`${baseUrl}/#/leads/${id}`);
      await eventually(() => page.getByTestId('lead-page').textContent()).toContain('our call centre');
      const form = page.getByTestId('stage-by-hand');
      await form.getByRole('combobox').selectOption('approve');
      await form.getByPlaceholder('comment (optional)').fill('confirmed by phone');
      page.once('dialog', (dialog) => void dialog.accept());
      await form.getByRole('button', { name: 'Set stage' }).click();
      await eventually(async () => (await call('GET', `/api/leads/${id}`)).lead.stage).toBe('approve');
    }

    await page.goto(`${baseUrl}/#/leads/${kept}`);
    await eventually(async () => {
      await page.getByRole('button', { name: '↻ Refresh' }).click();
      return page.getByTestId('lead-raw-status').textContent();
    }).toBe('paid');
    expect(await page.getByTestId('lead-handoff-fulfil').textContent()).toMatch(/^FO-\d+$/);
    await page.screenshot({ path: path.join(ARTIFACTS, 'fulfilment-lead-paid.png') });

    await page.goto(`${baseUrl}/#/leads/${returned}`);
    await eventually(async () => {
      await page.getByRole('button', { name: '↻ Refresh' }).click();
      return page.getByTestId('lead-status').textContent();
    }).toContain('parcel refused at the door');
    expect(await page.getByTestId('lead-raw-status').textContent()).toBe('returned');
  });
});
