/**
 * Test runs in the editor do no harm by default: a run stops before the request to the target and
 * shows it with the secret masked; a pinned output stands in for its node; "Send for real" calls
 * the target; one node runs alone from its panel. The mock target counts what it receives.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACTS, buildEditor, node, startEditorWorld, waitForNodeCount, type EditorWorld } from './browser.ts';

let world: EditorWorld;

const eventually = <T>(read: () => Promise<T> | T) => expect.poll(read, { timeout: 10_000, interval: 50 });

beforeAll(async () => {
  await buildEditor();
  world = await startEditorWorld();
}, 120_000);

afterAll(async () => {
  await world?.close();
});

const at = (x: number) => ({ x: x * 260, y: 100 });
const edge = (source: string, target: string) => ({ id: `${source}-${target}`, source, sourceHandle: 'out', target, targetHandle: 'in' });

async function screenshots(name: string): Promise<void> {
  const { page } = world;
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}-1440.png`) });
  await page.setViewportSize({ width: 1280, height: 720 });
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}-1280.png`) });
  await page.setViewportSize({ width: 1440, height: 900 });
}

describe('test runs in the editor', () => {
  it('stop before sending and show the request, secret masked; run on a pinned output; send for real when asked; run one node', async () => {
    const { page, baseUrl, runtime, target } = world;
    await runtime.flows.save(
      {
        id: 'acme-send',
        name: 'Acme: send the order',
        event: 'lead.new',
        nodes: [
          { id: 'lead', type: 'lead-in', position: at(0), params: {} },
          {
            id: 'order',
            type: 'json-build',
            position: at(1),
            params: { body: '{ "phone": "{{lead.phone | digits}}", "name": "{{lead.name}}", "offer": "{{offer.params.crm_offer_id}}" }' },
          },
          {
            id: 'send',
            type: 'http-request',
            position: at(2),
            params: {
              method: 'POST',
              url: '{{integration.settings.base_url}}/orders',
              headers: [{ key: 'X-Api-Key', value: '{{secrets.api_key}}' }],
              body: 'input',
            },
          },
          { id: 'answer', type: 'extract', position: at(3), params: { fields: [{ key: 'eid', value: 'body.id' }], required: 'eid' } },
          { id: 'accepted', type: 'update-lead', position: at(4), params: { setEid: '{{input.eid}}', stage: 'wait' } },
        ],
        edges: [edge('lead', 'order'), edge('order', 'send'), edge('send', 'answer'), edge('answer', 'accepted')],
      },
      'admin',
    );
    await runtime.integrations.update('acme', { flows: { 'lead.new': 'acme-send' } });

    await page.goto(`${baseUrl}/#/flows/acme-send`);
    await waitForNodeCount(page, 5);
    await page.getByTestId('tab-test').click();

    // dry by default: the run stops at the request and shows it; nothing reaches the target
    await expect(page.getByTestId('send-for-real').isChecked()).resolves.toBe(false);
    await page.getByTestId('run-test').click();
    await eventually(() => page.getByTestId('run-end').textContent()).toBe('stopped before sending');
    const wouldSend = page.getByTestId('run-summary').getByTestId('would-send');
    await eventually(() => wouldSend.textContent()).toContain(`POST ${target.url}/orders`);
    await eventually(() => wouldSend.textContent()).toContain('[secret]');
    await eventually(() => wouldSend.textContent()).toContain('"phone": "4915123456781"');
    expect(await wouldSend.textContent()).not.toContain('k-123-secret');
    await eventually(() => node(page, 'send').locator('.lf-node').getAttribute('data-run')).toBe('stopped');
    expect(target.requests).toHaveLength(0);
    await screenshots('test-run-dry');

    // pin the target's answer on the HTTP Request: the nodes after it run on it, still nothing sent
    await node(page, 'send').click();
    const panel = page.getByTestId('node-run');
    await panel.locator('summary', { hasText: 'Pin an output' }).click();
    await panel.getByLabel('Pinned output (JSON)').fill('{ "status": 200, "headers": {}, "body": { "id": "PIN-1" } }');
    await panel.getByTestId('pin-output').click();
    await panel.getByTestId('pinned-output').waitFor();
    await page.getByTestId('tab-test').click();
    await page.getByTestId('pinned-list').filter({ hasText: 'send' }).waitFor();
    await page.getByTestId('run-test').click();
    await eventually(() => page.getByTestId('run-end').textContent()).toBe('succeeded');
    await eventually(() => node(page, 'send').locator('.lf-node').getAttribute('data-run')).toBe('pinned');
    await eventually(() => node(page, 'accepted').locator('.lf-node').getAttribute('data-run')).toBe('ok');
    await eventually(() => page.getByTestId('run-updates').textContent()).toContain('new → wait');
    expect(target.requests).toHaveLength(0);
    await screenshots('test-run-pinned');

    // unpinned and sent for real: the target gets the order once, and the panel shows the exchange masked
    await node(page, 'send').click();
    await page.getByTestId('node-run').getByTestId('unpin').click();
    await page.getByTestId('tab-test').click();
    await page.getByTestId('send-for-real').check();
    await page.getByTestId('run-test').click();
    await eventually(() => page.getByTestId('run-end').textContent()).toBe('succeeded');
    await eventually(() => target.requests.length).toBe(1);
    expect(target.requests[0].headers['x-api-key']).toBe('k-123-secret');
    expect(JSON.parse(target.requests[0].body)).toEqual({ phone: '4915123456781', name: 'Anna Schmidt', offer: '201' });
    await node(page, 'send').click();
    await eventually(() => page.getByTestId('http-exchange').first().textContent()).toContain('HTTP 200');
    expect(await page.getByTestId('http-exchange').first().textContent()).not.toContain('k-123-secret');
    await screenshots('test-run-real');

    // one node alone, on the input it had: dry again, so it shows the request and sends nothing
    await page.getByTestId('tab-test').click();
    await page.getByTestId('send-for-real').uncheck();
    await node(page, 'send').click();
    const run = page.getByTestId('node-run');
    await run.locator('summary', { hasText: 'Run this node' }).click();
    await eventually(() => run.getByLabel('Input of the node (JSON)').inputValue()).toContain('4915123456781');
    await run.getByTestId('run-node').click();
    await eventually(() => run.getByTestId('node-run-result').getByTestId('would-send').textContent()).toContain('/orders');
    expect(target.requests).toHaveLength(1);
    await run.getByTestId('node-run-result').scrollIntoViewIfNeeded();
    await screenshots('test-run-one-node');
  }, 120_000);

  it('take a pinned output from a past execution: the nodes after it run on it, nothing sent', async () => {
    const { page, baseUrl, target } = world;
    // the first test sent acme-send for real once: that execution holds the target's answer at "send"
    await page.goto(`${baseUrl}/#/flows/acme-send`);
    await waitForNodeCount(page, 5);
    await page.getByTestId('tab-test').click();
    await node(page, 'send').click();
    const panel = page.getByTestId('node-run');
    await panel.locator('summary', { hasText: 'Pin an output' }).click();
    const past = panel.getByLabel('Take the output from a past execution');
    await eventually(() => past.locator('option').count()).toBeGreaterThan(1);
    await past.selectOption({ index: 1 });
    await eventually(() => panel.getByLabel('Pinned output (JSON)').inputValue()).toContain('"status": 200');
    await screenshots('test-run-pin-from-past');
    await panel.getByTestId('pin-output').click();
    await eventually(() => panel.getByTestId('pinned-output').textContent()).toContain('"status": 200');

    const sent = target.requests.length;
    await page.getByTestId('tab-test').click();
    await page.getByTestId('run-test').click();
    await eventually(() => page.getByTestId('run-end').textContent()).toBe('succeeded');
    await eventually(() => node(page, 'send').locator('.lf-node').getAttribute('data-run')).toBe('pinned');
    await eventually(() => node(page, 'accepted').locator('.lf-node').getAttribute('data-run')).toBe('ok');
    expect(target.requests).toHaveLength(sent);
    await node(page, 'send').click();
    await page.getByTestId('node-run').getByTestId('unpin').click();
  }, 60_000);

  it('say before running that no offer is routed to the integration, with a link to it, and keep Run off', async () => {
    const { page, baseUrl, runtime } = world;
    await runtime.integrations.create({ id: 'bare-crm', name: 'Bare CRM', settings: { base_url: world.target.url } });
    await page.goto(`${baseUrl}/#/flows/acme-send`);
    await waitForNodeCount(page, 5);
    await page.getByTestId('tab-test').click();
    await page.locator('#test-integration').selectOption('bare-crm');
    const missing = page.getByTestId('no-offer');
    await eventually(() => missing.textContent()).toBe('No offer is routed to Bare CRM yet — tick one on its page.');
    expect(await missing.getByTestId('no-offer-link').getAttribute('href')).toBe('#/integrations/bare-crm');
    expect(await page.getByTestId('run-test').isDisabled()).toBe(true);
    await screenshots('test-run-no-offer');

    // an integration with an offer routed: the sample names it and Run is on
    await page.locator('#test-integration').selectOption('acme');
    await eventually(() => missing.count()).toBe(0);
    expect(await page.getByTestId('run-test').isDisabled()).toBe(false);
    await page.locator('#test-integration').selectOption('bare-crm');
    await missing.getByTestId('no-offer-link').click();
    await eventually(() => page.evaluate(() => location.hash)).toBe('#/integrations/bare-crm');
  }, 60_000);
});
