/**
 * The editor in a real browser, against the real runtime and a local mock target: what an
 * integrator does with the mouse and keyboard, checked on what the screen and the target show.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACTS, buildEditor, connect, dragFromPalette, node, startEditorWorld, waitForNodeCount, type EditorWorld } from './browser.ts';

let world: EditorWorld;

/** Waits up to 10 s for a value read from the page to satisfy the assertion that follows. */
const eventually = <T>(read: () => Promise<T>) => expect.poll(read, { timeout: 10_000, interval: 50 });

beforeAll(async () => {
  await buildEditor();
  world = await startEditorWorld();
}, 120_000);

afterAll(async () => {
  await world?.close();
});

async function newBlankFlow(name: string): Promise<void> {
  const { page, baseUrl } = world;
  await page.goto(`${baseUrl}/#/flows`);
  await page.getByTestId('new-flow').click();
  await page.locator('#new-flow-name').fill(name);
  await page.getByTestId('create-flow').click();
  await page.getByTestId('flow-title').filter({ hasText: name }).waitFor();
  await waitForNodeCount(page, 1);
}

describe('the editor', () => {
  it('builds a flow from the palette, publishes it as a version and test-runs it against the target', async () => {
    const { page, target } = world;
    await newBlankFlow('Acme: send a lead');

    await dragFromPalette(page, 'json-build', { x: 560, y: 600 });
    await waitForNodeCount(page, 2);
    await dragFromPalette(page, 'http-request', { x: 800, y: 420 });
    await waitForNodeCount(page, 3);

    // unconnected nodes are marked, with the message on hover
    const request = node(page, 'http_request');
    await request.locator('[data-issues]').waitFor();
    await request.locator('.lf-node__marker').hover();
    await eventually(() => request.locator('.lf-tooltip').textContent()).toContain('not connected');

    await connect(page, 'lead_in', 'out', 'json_build');
    await connect(page, 'json_build', 'out', 'http_request');

    // the JSON body
    await node(page, 'json_build').click();
    await page
      .locator('[data-param="body"] .cm-content')
      .fill('{\n  "phone": "{{lead.phone | digits}}",\n  "name": "{{lead.name}}",\n  "offer": "{{offer.params.crm_offer_id}}"\n}');

    // the URL, typed with completion: {{integ → integration. → settings. → base_url}}
    await request.click();
    const url = page.locator('[data-param="url"] input');
    await url.click();
    await url.pressSequentially('{{integ');
    await page.locator('.lf-complete li', { hasText: 'integration' }).first().waitFor();
    await url.press('Enter');
    await page.locator('.lf-complete li', { hasText: 'settings' }).first().waitFor();
    await url.press('Enter');
    await page.locator('.lf-complete li', { hasText: 'base_url' }).first().waitFor();
    await url.press('Enter');
    await url.pressSequentially('/orders');
    await eventually(() => url.inputValue()).toBe('{{integration.settings.base_url}}/orders');

    // a header carrying a secret by name
    await page.locator('[data-param="headers"] .lf-link-btn', { hasText: 'Add row' }).click();
    await page.getByLabel('Headers row 1 name').fill('X-Api-Key');
    await page.getByLabel('Headers row 1 value').fill('{{secrets.api_key}}');

    await page.waitForFunction(() => document.querySelectorAll('[data-issues]').length === 0);
    await eventually(() => page.getByTestId('problems').textContent()).toBe('valid');

    // a new flow is a draft until it is published
    await eventually(() => page.getByTestId('flow-title').locator('..').textContent()).toContain('draft, never published');
    await page.getByTestId('publish').click();
    await page.getByTestId('publish-confirm').click();
    await page.getByTestId('notice').filter({ hasText: 'Published as version 1' }).waitFor();
    await eventually(() => page.getByTestId('flow-title').locator('..').textContent()).toContain('v1');

    await page.getByTestId('tab-test').click();
    // test runs stop before sending unless asked to send (test/editor/test-runs.test.ts)
    await page.getByTestId('send-for-real').check();
    await page.getByTestId('run-test').click();
    await page.getByTestId('run-summary').waitFor();

    for (const id of ['lead_in', 'json_build', 'http_request']) {
      await eventually(() => node(page, id).locator('.lf-node').getAttribute('data-run')).toBe('ok');
      await eventually(() => node(page, id).getByTestId('run-badge').textContent()).toContain('ms');
    }
    expect(target.requests).toHaveLength(1);
    const sent = target.requests[0];
    expect(sent.url).toBe('/orders');
    expect(sent.headers['x-api-key']).toBe('k-123-secret');
    expect(JSON.parse(sent.body)).toEqual({ phone: '4915123456781', name: 'Anna Schmidt', offer: '201' });

    // the node's panel shows the exchange, the secret redacted
    await request.click();
    const exchange = page.getByTestId('http-exchange');
    await eventually(() => exchange.textContent()).toContain('POST');
    await eventually(() => exchange.textContent()).toContain('HTTP 200');
    await eventually(() => exchange.textContent()).toContain('T-1');
    await eventually(() => exchange.textContent()).not.toContain('k-123-secret');
    await page.screenshot({ path: path.join(ARTIFACTS, 'editor-build-and-test-run.png') });

    // the version list names who saved and when
    await page.getByTestId('tab-versions').click();
    await eventually(() => page.getByTestId('versions').locator('[data-version]').count()).toBe(1);
  }, 90_000);

  it('turns a pasted curl command into a body builder and an HTTP Request, wired after the trigger', async () => {
    const { page } = world;
    await newBlankFlow('Acme: from curl');
    await page.getByRole('button', { name: 'Import curl' }).click();
    await page
      .getByRole('textbox', { name: 'curl command' })
      .fill(
        [
          "curl -X POST 'https://api.acme-crm.test/v2/leads?source=aff' \\",
          "  -H 'Content-Type: application/json' \\",
          "  -H 'Authorization: Bearer 9f8e7d6c' \\",
          '  -d \'{"offer_id": 77, "customer": {"name": "John Smith", "phone": "+44 7700 900123", "email": "john@example.com"}, "ip": "10.1.2.3", "country": "GB", "note": "x"}\'',
        ].join('\n'),
      );
    await page.getByTestId('curl-review').click();
    await page.getByTestId('curl-create').click();
    await waitForNodeCount(page, 3);
    await page.waitForFunction(() => document.querySelectorAll('.react-flow__edge').length === 2);

    await node(page, 'body').click();
    const body = JSON.parse(await page.locator('[data-param="body"] .cm-content').innerText());
    expect(body).toEqual({
      offer_id: '{{offer.params.offer_id}}',
      customer: { name: '{{lead.name}}', phone: '{{lead.phone}}', email: '{{lead.email}}' },
      ip: '{{lead.ip}}',
      country: '{{lead.country}}',
      note: '{{lead.comment}}',
    });

    await node(page, 'request').click();
    await eventually(() => page.locator('[data-param="url"] input').inputValue()).toBe('{{integration.settings.base_url}}/v2/leads');
    await eventually(() => page.locator('[data-param="method"] select').inputValue()).toBe('POST');
    await eventually(() => page.locator('[data-param="body"] select').inputValue()).toBe('input');
    await eventually(() => page.getByLabel('Headers row 1 value').inputValue()).toBe('Bearer {{secrets.token}}');
    await eventually(() => page.getByLabel('URL parameters row 1 name').inputValue()).toBe('source');
    await page.screenshot({ path: path.join(ARTIFACTS, 'editor-curl-import.png') });
  }, 60_000);

  it('undoes and redoes adding, deleting and editing nodes', async () => {
    const { page } = world;
    await newBlankFlow('Acme: undo');
    await eventually(() => page.getByTestId('undo').isDisabled()).toBe(true);

    await dragFromPalette(page, 'json-build', { x: 450, y: 250 });
    await waitForNodeCount(page, 2);
    await dragFromPalette(page, 'sign', { x: 700, y: 250 });
    await waitForNodeCount(page, 3);

    await page.getByTestId('undo').click();
    await waitForNodeCount(page, 2);
    await eventually(() => node(page, 'sign').count()).toBe(0);
    await page.getByTestId('redo').click();
    await waitForNodeCount(page, 3);

    // delete with the keyboard, then Ctrl+Z brings it back
    await node(page, 'json_build').click();
    await page.keyboard.press('Delete');
    await waitForNodeCount(page, 2);
    await page.keyboard.press('Control+z');
    await waitForNodeCount(page, 3);
    await page.keyboard.press('Control+Shift+z');
    await waitForNodeCount(page, 2);
    await page.keyboard.press('Control+z');
    await waitForNodeCount(page, 3);

    // a parameter edit is one step
    await node(page, 'sign').click();
    await page.locator('[data-param="algorithm"] select').selectOption('md5');
    await page.getByTestId('undo').click();
    await eventually(() => page.locator('[data-param="algorithm"] select').inputValue()).toBe('sha256');
    await page.getByTestId('redo').click();
    await eventually(() => page.locator('[data-param="algorithm"] select').inputValue()).toBe('md5');
    await page.screenshot({ path: path.join(ARTIFACTS, 'editor-undo-redo.png') });
  }, 60_000);

  it('moves a node with the mouse as one undo step, and renaming a node rewrites the templates that read it', async () => {
    const { page, baseUrl, runtime } = world;
    await runtime.flows.save(
      {
        id: 'acme-rename',
        name: 'Acme: rename',
        event: 'lead.new',
        nodes: [
          { id: 'lead', type: 'lead-in', position: { x: 0, y: 100 }, params: {} },
          {
            id: 'send',
            type: 'http-request',
            position: { x: 260, y: 100 },
            params: { method: 'POST', url: 'http://127.0.0.1:9/orders', body: 'none' },
          },
          {
            id: 'sender',
            type: 'http-request',
            position: { x: 260, y: 300 },
            params: { method: 'POST', url: 'http://127.0.0.1:9/sender', body: 'none' },
          },
          {
            id: 'confirm',
            type: 'http-request',
            position: { x: 520, y: 100 },
            params: {
              method: 'POST',
              url: 'http://127.0.0.1:9/confirm/{{nodes.send.body.id}}?also={{nodes.sender.body.id}}',
              body: 'none',
            },
          },
        ],
        edges: [
          { id: 'e1', source: 'lead', sourceHandle: 'out', target: 'send', targetHandle: 'in' },
          { id: 'e2', source: 'send', sourceHandle: 'out', target: 'confirm', targetHandle: 'in' },
          { id: 'e3', source: 'lead', sourceHandle: 'out', target: 'sender', targetHandle: 'in' },
        ],
      },
      'anna',
    );
    await page.goto(`${baseUrl}/#/flows/acme-rename`);
    await waitForNodeCount(page, 4);

    const box = async () => {
      const b = await node(page, 'send').boundingBox();
      if (!b) throw new Error('the node is not on the canvas');
      return b;
    };
    const start = await box();
    await page.mouse.move(start.x + 20, start.y + 10);
    await page.mouse.down();
    await page.mouse.move(start.x + 80, start.y + 60, { steps: 6 });
    await page.mouse.move(start.x + 140, start.y + 110, { steps: 6 });
    await page.mouse.up();
    await eventually(async () => (await box()).y - start.y).toBeGreaterThan(40);
    await eventually(() => page.getByTestId('dirty').count()).toBe(1);
    await page.getByTestId('undo').click();
    await eventually(async () => Math.round((await box()).y - start.y)).toBe(0);
    await page.getByTestId('redo').click();
    await eventually(async () => (await box()).y - start.y).toBeGreaterThan(40);

    await node(page, 'send').click();
    await page.locator('#id-send').fill('create');
    await page.locator('#id-send').press('Enter');
    await eventually(() => node(page, 'create').count()).toBe(1);
    await eventually(() => page.locator('.react-flow__edge[data-id="e2"]').count()).toBe(1);
    await node(page, 'confirm').click();
    // the template reading nodes.send follows the new name, the one reading nodes.sender does not (a long URL gets a textarea)
    await eventually(() => page.locator('[data-param="url"] textarea').inputValue()).toBe(
      'http://127.0.0.1:9/confirm/{{nodes.create.body.id}}?also={{nodes.sender.body.id}}',
    );
    await page.getByTestId('undo').click();
    await eventually(() => node(page, 'send').count()).toBe(1);
    await eventually(() => page.locator('[data-param="url"] textarea').inputValue()).toBe(
      'http://127.0.0.1:9/confirm/{{nodes.send.body.id}}?also={{nodes.sender.body.id}}',
    );
  }, 60_000);

  it('lists versions with who saved them, shows what changed and rolls back to an old one', async () => {
    const { page, baseUrl, runtime } = world;
    const flow = (url: string) => ({
      id: 'acme-versions',
      name: 'Acme: versions',
      event: 'lead.new',
      nodes: [
        { id: 'lead', type: 'lead-in', position: { x: 0, y: 100 }, params: {} },
        { id: 'send', type: 'http-request', position: { x: 260, y: 100 }, params: { method: 'POST', url, body: 'none' } },
      ],
      edges: [{ id: 'e1', source: 'lead', sourceHandle: 'out', target: 'send', targetHandle: 'in' }],
    });
    await runtime.flows.save(flow('{{integration.settings.base_url}}/orders'), 'anna');
    await runtime.flows.save(flow('{{integration.settings.base_url}}/broken'), 'maria');

    await page.goto(`${baseUrl}/#/flows/acme-versions`);
    await page.getByTestId('tab-versions').click();
    const versions = page.getByTestId('versions');
    await eventually(() => versions.locator('[data-version]').count()).toBe(2);
    await eventually(() => versions.locator('[data-version="2"]').textContent()).toContain('maria');
    await eventually(() => versions.locator('[data-version="1"]').textContent()).toContain('anna');

    await versions.locator('[data-version="1"]').getByRole('button', { name: 'Changes since' }).click();
    const diff = page.getByTestId('diff');
    await eventually(() => diff.textContent()).toContain('send: url');
    await eventually(() => diff.textContent()).toContain('/orders');
    await eventually(() => diff.textContent()).toContain('/broken');

    // open the old version read-only, then roll back to it
    await versions.locator('[data-version="1"]').getByRole('button', { name: 'Open' }).click();
    await page.getByTestId('viewing-banner').waitFor();
    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByTestId('viewing-banner').getByRole('button', { name: 'Roll back to this version' }).click();
    await page.getByTestId('notice').filter({ hasText: 'saved as version 3' }).waitFor();
    await eventually(() => page.getByTestId('viewing-banner').count()).toBe(0);
    expect((await runtime.flows.load('acme-versions')).nodes[1].params.url).toBe('{{integration.settings.base_url}}/orders');
    await node(page, 'send').click();
    await eventually(() => page.locator('[data-param="url"] input').inputValue()).toBe('{{integration.settings.base_url}}/orders');
    await page.screenshot({ path: path.join(ARTIFACTS, 'editor-versions.png') });
  }, 60_000);

  it('copies nodes from one flow and pastes them into another, as JSON on the clipboard', async () => {
    const { page, baseUrl, runtime, context } = world;
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: baseUrl });
    const lead = { id: 'lead', type: 'lead-in', position: { x: 0, y: 100 }, params: {} };
    await runtime.flows.save(
      {
        id: 'acme-source',
        name: 'Acme: source',
        event: 'lead.new',
        nodes: [lead, { id: 'sign', type: 'sign', position: { x: 260, y: 100 }, params: { algorithm: 'md5' } }],
        edges: [{ id: 'e1', source: 'lead', sourceHandle: 'out', target: 'sign', targetHandle: 'in' }],
      },
      'anna',
    );
    await runtime.flows.save({ id: 'acme-target', name: 'Acme: target', event: 'lead.new', nodes: [lead], edges: [] }, 'anna');

    await page.goto(`${baseUrl}/#/flows/acme-source`);
    await node(page, 'sign').click();
    await page.keyboard.press('Control+c');
    await eventually(() => page.evaluate(() => navigator.clipboard.readText())).toContain('"leadflow": "nodes"');

    await page.goto(`${baseUrl}/#/flows/acme-target`);
    await waitForNodeCount(page, 1);
    await page.locator('.react-flow__pane').click({ position: { x: 40, y: 40 } });
    await page.keyboard.press('Control+v');
    await waitForNodeCount(page, 2);
    await node(page, 'sign').click();
    await eventually(() => page.locator('[data-param="algorithm"] select').inputValue()).toBe('md5');
  }, 60_000);

  it('keeps an integration off while its flow names a secret it lacks, and never shows a stored secret', async () => {
    const { page, baseUrl, runtime, target } = world;
    await runtime.flows.save(
      {
        id: 'beta-send',
        name: 'Beta: send',
        event: 'lead.new',
        nodes: [
          { id: 'lead', type: 'lead-in', position: { x: 0, y: 100 }, params: {} },
          {
            id: 'send',
            type: 'http-request',
            position: { x: 260, y: 100 },
            params: {
              method: 'POST',
              url: '{{integration.settings.base_url}}/beta',
              headers: [{ key: 'X-Token', value: '{{secrets.token}}' }],
              body: 'none',
            },
          },
        ],
        edges: [{ id: 'e1', source: 'lead', sourceHandle: 'out', target: 'send', targetHandle: 'in' }],
      },
      'anna',
    );
    await runtime.integrations.create({
      id: 'beta',
      name: 'Beta CRM',
      settings: { base_url: target.url },
      flows: { 'lead.new': 'beta-send' },
    });

    await page.goto(`${baseUrl}/#/integrations/beta`);
    const detail = page.getByTestId('integration-detail');
    await detail.waitFor();
    await page.locator('.lf-switch').click();
    await eventually(() => page.getByTestId('readiness').textContent()).toContain('the secret “token”, which is not set here');
    expect((await runtime.integrations.get('beta')).enabled).toBe(false);
    await eventually(() => page.getByTestId('enabled').isChecked()).toBe(false);

    await page.getByLabel('New secret name').fill('token');
    await page.getByLabel('New secret value').fill('tok-9876-secret');
    await page.getByRole('button', { name: 'Add secret' }).click();
    await eventually(() => page.getByTestId('secrets').textContent()).toContain('token');
    await page.locator('.lf-switch').click();
    await eventually(() => page.getByTestId('enabled').isChecked()).toBe(true);
    expect((await runtime.integrations.get('beta')).enabled).toBe(true);
    expect(await page.content()).not.toContain('tok-9876-secret');
    await page.screenshot({ path: path.join(ARTIFACTS, 'editor-integration.png') });
  }, 60_000);
});
