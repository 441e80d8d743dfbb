/**
 * The Offers screen in a real browser against the real runtime: an integrator creates an offer with
 * parameters and a German value and sees them in a table by country, adds a goal and a product,
 * routes its new leads to an integration; ticking an offer another integration has asks first and
 * moves it only when confirmed (the next lead goes to the new one); deleting says what it takes
 * with it, and an offer with leads is kept.
 */
import path from 'node:path';
import type { Dialog } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FlowDoc } from '../../core/domain/flow.ts';
import { ARTIFACTS, buildEditor, startEditorWorld, type EditorWorld } from './browser.ts';

let world: EditorWorld;

const eventually = <T>(read: () => Promise<T>) => expect.poll(read, { timeout: 10_000, interval: 50 });

/** Answers the next dialog (accepting or dismissing it) and resolves with its text. */
function nextDialog(answer: 'accept' | 'dismiss'): Promise<string> {
  return new Promise((resolve) =>
    world.page.once('dialog', (dialog: Dialog) => {
      resolve(dialog.message());
      void (answer === 'accept' ? dialog.accept() : dialog.dismiss());
    }),
  );
}

/** Screenshots at 1440×900 and 1280×720, scrolled to the element with `testId` when given. */
async function screenshots(name: string, testId?: string): Promise<void> {
  const { page } = world;
  for (const [width, height] of [
    [1440, 900],
    [1280, 720],
  ]) {
    await page.setViewportSize({ width, height });
    if (testId) await page.getByTestId(testId).scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(ARTIFACTS, `${name}-${width}.png`), fullPage: true });
  }
  await page.setViewportSize({ width: 1440, height: 900 });
}

/** Posts a lead of an offer; answers the id of the integration it was given to, once it is. */
async function postLead(offer: string): Promise<number> {
  const res = await fetch(`${world.baseUrl}/api/leads`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': world.intakeKey },
    body: JSON.stringify({ offer, name: 'Anna Schmidt', phone: '+49 151 2345678', country: 'DE' }),
  });
  expect(res.status).toBe(202);
  return ((await res.json()) as { id: number }).id;
}

beforeAll(async () => {
  await buildEditor();
  world = await startEditorWorld();
  const send: Omit<FlowDoc, 'version'> = {
    id: 'send',
    name: 'Send a lead',
    event: 'lead.new',
    nodes: [
      { id: 'lead', type: 'lead-in', position: { x: 0, y: 0 }, params: {} },
      { id: 'order', type: 'json-build', position: { x: 240, y: 0 }, params: { body: { phone: '{{lead.phone | digits}}' } } },
      {
        id: 'post',
        type: 'http-request',
        position: { x: 480, y: 0 },
        params: { method: 'POST', url: '{{integration.settings.base_url}}/orders', body: 'input' },
      },
    ],
    edges: [
      { id: 'e1', source: 'lead', sourceHandle: 'out', target: 'order', targetHandle: 'in' },
      { id: 'e2', source: 'order', sourceHandle: 'out', target: 'post', targetHandle: 'in' },
    ],
  };
  await world.runtime.flows.save(send as FlowDoc, 'anna');
  await world.runtime.integrations.update('acme', { flows: { 'lead.new': 'send' }, enabled: true });
  await world.runtime.integrations.create({
    id: 'beta',
    name: 'Beta CRM',
    enabled: true,
    settings: { base_url: world.target.url },
    offers: [],
    flows: { 'lead.new': 'send' },
  });
}, 240_000);

afterAll(async () => {
  await world?.close();
});

describe('the Offers screen', () => {
  it('creates an offer with parameters and a German value shown by country, a goal and a product, and routes it', async () => {
    const { page, baseUrl } = world;
    await page.goto(`${baseUrl}/#/`);
    await page.getByTestId('nav-offers').click();
    const list = page.getByTestId('offers');
    await eventually(() => list.locator('[data-offer-id="tea"]').textContent()).toContain('Acme CRM');

    await page.getByTestId('new-offer').click();
    await page.getByTestId('offer-new-name').fill('Herbal tea');
    expect(await page.getByTestId('offer-new-id').inputValue()).toBe('herbal-tea');
    await page.getByTestId('create-offer').click();
    await page.getByTestId('offer-page').waitFor();
    expect(await page.evaluate(() => location.hash)).toBe('#/offers/herbal-tea');

    await page.getByTestId('add-parameter').click();
    await page.getByLabel('Parameter 1 name').fill('crm_offer_id');
    await page.getByLabel('crm_offer_id: default').fill('301');
    await page.getByTestId('add-parameter').click();
    await page.getByLabel('Parameter 2 name').fill('stream');
    await page.getByLabel('stream: default').fill('main');
    await page.getByTestId('add-country').selectOption('de');
    expect(await page.getByTestId('country-column-de').textContent()).toContain('Germany');
    await page.getByLabel('crm_offer_id: Germany').fill('302');

    await page.getByTestId('add-goal').click();
    await page.getByLabel('goal 1 id').fill('sale');
    await page.getByLabel('goal 1 name').fill('Confirmed sale');
    await page.getByTestId('goal-0').getByRole('button', { name: '+ Add a parameter of this goal' }).click();
    await page.getByLabel('goal 1 parameter row 1 name').fill('goal_id');
    await page.getByLabel('goal 1 parameter row 1 value').fill('7');
    await page.getByTestId('add-product').click();
    await page.getByLabel('product 1 id').fill('tea-30');
    await page.getByLabel('product 1 name').fill('30 tea bags');
    await page.getByLabel('product 1 price').fill('39.90');
    await page.getByTestId('duplicates-on').check();
    await page.getByTestId('duplicates-fields').fill('phone, email');
    await page.getByTestId('save-offer').click();

    await eventually(() => world.runtime.offers.get('herbal-tea')).toEqual({
      id: 'herbal-tea',
      name: 'Herbal tea',
      parameters: { crm_offer_id: '301', 'crm_offer_id-de': '302', stream: 'main' },
      goals: [{ id: 'sale', name: 'Confirmed sale', parameters: { goal_id: '7' } }],
      products: [{ id: 'tea-30', name: '30 tea bags', price: 39.9, parameters: {} }],
      duplicates: { fields: ['phone', 'email'], days: 30, action: 'trash' },
    });
    // read back from the saved offer: the German value in its column, the default beside it
    await page.reload();
    await page.getByTestId('offer-page').waitFor();
    expect(await page.getByLabel('crm_offer_id: Germany').inputValue()).toBe('302');
    expect(await page.getByLabel('crm_offer_id: default').inputValue()).toBe('301');
    expect(await page.getByLabel('stream: Germany').inputValue()).toBe('');

    // nobody has its new leads yet: routing them asks nothing
    await page.getByTestId('new-leads-to').selectOption('acme');
    await eventually(async () => (await world.runtime.integrations.get('acme')).offers).toEqual(['tea', 'herbal-tea']);
    await eventually(() => page.getByTestId('new-leads-to').inputValue()).toBe('acme');
    // a stage route to an integration without a flow for reached stages is refused, naming the field
    await page.getByTestId('add-stage-route').click();
    await page.getByLabel('Stage route 1: integration').selectOption('beta');
    await page.getByTestId('save-stage-routes').click();
    await eventually(() => page.locator('.lf-notice--error').last().textContent()).toContain(
      'routes.stages[0].integration: integration "beta" has no lead.approved flow',
    );
    expect((await world.runtime.offers.get('herbal-tea')).routes).toBeUndefined();
    await page.getByRole('button', { name: 'Remove stage route 1' }).click();
    await screenshots('offers-offer');
    await screenshots('offers-offer-routing', 'offer-routing');

    await page.getByRole('link', { name: '← Offers' }).click();
    await eventually(() => list.locator('[data-offer-id="herbal-tea"]').textContent()).toContain('Acme CRM');
    expect(await list.locator('[data-offer-id="herbal-tea"]').textContent()).toContain('values for Germany');
    await screenshots('offers-list');
  });

  it("moves an offer's new leads to another integration only when the move is confirmed", async () => {
    const { page, baseUrl } = world;
    await page.goto(`${baseUrl}/#/integrations/beta`);
    const tick = page.getByRole('checkbox', { name: 'Slimming tea tea' });

    // declined: nothing changes
    const declined = nextDialog('dismiss');
    await tick.click();
    expect(await declined).toBe("Slimming tea's new leads go to Acme CRM now. Move them to Beta CRM?");
    await eventually(async () => (await world.runtime.integrations.get('acme')).offers).toContain('tea');
    expect((await world.runtime.integrations.get('beta')).offers).toEqual([]);
    await eventually(() => tick.isChecked()).toBe(false);

    const confirmed = nextDialog('accept');
    await tick.click();
    expect(await confirmed).toBe("Slimming tea's new leads go to Acme CRM now. Move them to Beta CRM?");
    await eventually(async () => (await world.runtime.integrations.get('beta')).offers).toEqual(['tea']);
    expect((await world.runtime.integrations.get('acme')).offers).toEqual(['herbal-tea']);
    await eventually(() => tick.isChecked()).toBe(true);
    await page.screenshot({ path: path.join(ARTIFACTS, 'offers-moved-to-beta.png') });

    // the next lead goes to Beta CRM, not Acme CRM
    const id = await postLead('tea');
    await eventually(async () => (await world.runtime.leads.getLead(id))?.integration).toBe('beta');

    // the offer's page shows where they go now
    await page.goto(`${baseUrl}/#/offers/tea`);
    await eventually(() => page.getByTestId('new-leads-to').inputValue()).toBe('beta');
  });

  it('deletes an offer after saying what it takes with it, and keeps one that has leads', async () => {
    const { page, baseUrl } = world;
    await page.goto(`${baseUrl}/#/offers/herbal-tea`);
    const asked = nextDialog('accept');
    await page.getByTestId('delete-offer').click();
    expect(await asked).toContain('Acme CRM stops getting its new leads.');
    await eventually(() => page.evaluate(() => location.hash)).toBe('#/offers');
    await eventually(() => page.locator('[data-offer-id="herbal-tea"]').count()).toBe(0);
    expect((await world.runtime.integrations.get('acme')).offers).toEqual([]);

    // tea has a lead: the runtime keeps it, and the screen says why
    await page.goto(`${baseUrl}/#/offers/tea`);
    const again = nextDialog('accept');
    await page.getByTestId('delete-offer').click();
    expect(await again).toContain('Beta CRM stops getting its new leads.');
    await eventually(() => page.locator('.lf-notice--error').last().textContent()).toContain('has leads');
    expect((await world.runtime.offers.get('tea')).name).toBe('Slimming tea');
  });
});
