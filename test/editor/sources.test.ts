/**
 * The Sources screen in a real browser against the real runtime: an integrator creates a webmaster
 * source for one offer, sees its key once, and posts a lead with it; rotating with a grace period
 * shows the new key once and leaves both working; revoking stops the old one. After "Done" (or a
 * reload) the key is nowhere on the page.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FlowDoc } from '../../core/domain/flow.ts';
import { ARTIFACTS, buildEditor, startEditorWorld, type EditorWorld } from './browser.ts';

let world: EditorWorld;
/** The first key of the source the first test creates. */
let firstKey = '';

const eventually = <T>(read: () => Promise<T>) => expect.poll(read, { timeout: 10_000, interval: 50 });

beforeAll(async () => {
  await buildEditor();
  world = await startEditorWorld();
  // the shared world's integration takes "tea"; a flow that sends its leads to the mock target makes it deliver them
  const send: Omit<FlowDoc, 'version'> = {
    id: 'acme-send',
    name: 'Acme: send a lead',
    event: 'lead.new',
    nodes: [
      { id: 'lead', type: 'lead-in', position: { x: 0, y: 0 }, params: {} },
      { id: 'order', type: 'json-build', position: { x: 240, y: 0 }, params: { body: { phone: '{{lead.phone | digits}}' } } },
      {
        id: 'send',
        type: 'http-request',
        position: { x: 480, y: 0 },
        params: { method: 'POST', url: '{{integration.settings.base_url}}/orders', body: 'input' },
      },
    ],
    edges: [
      { id: 'e1', source: 'lead', sourceHandle: 'out', target: 'order', targetHandle: 'in' },
      { id: 'e2', source: 'order', sourceHandle: 'out', target: 'send', targetHandle: 'in' },
    ],
  };
  await world.runtime.flows.save(send as FlowDoc, 'anna');
  await world.runtime.integrations.update('acme', { flows: { 'lead.new': 'acme-send' }, enabled: true });
}, 240_000);

afterAll(async () => {
  await world?.close();
});

/** Posts a lead for `tea` with a key; answers the status and the stored lead's `wm` and `source`. */
async function postLead(key: string, wm: string): Promise<{ status: number; wm?: string; source?: string }> {
  const res = await fetch(`${world.baseUrl}/api/leads`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': key },
    body: JSON.stringify({ offer: 'tea', wm, name: 'Anna Schmidt', phone: '+49 151 2345678' }),
  });
  const body = (await res.json()) as { id?: number };
  if (!body.id) return { status: res.status };
  const lead = (await world.runtime.leads.getLead(body.id)) as { wm?: string; source?: string };
  return { status: res.status, wm: lead.wm, source: lead.source };
}

describe('the Sources screen', () => {
  it('creates a webmaster source whose key is shown once and posts as that webmaster', async () => {
    const { page, baseUrl } = world;
    await page.goto(`${baseUrl}/#/`);
    await page.getByTestId('nav-sources').click();
    await page.getByTestId('sources-page').waitFor();
    // the harness's network source is listed, without any key
    await eventually(() => page.locator('[data-source-id="test-network"]').count()).toBe(1);
    expect(await page.content()).not.toContain(world.intakeKey);

    await page.getByTestId('new-source').click();
    await page.getByTestId('source-id').fill('wm7-direct');
    await page.getByTestId('source-name').fill('Webmaster 7');
    await page.getByTestId('kind-webmaster').check();
    await page.getByTestId('source-webmaster').fill('wm7');
    await page.locator('[data-testid="source-offers"] [data-offer-id="tea"] input').check();
    await page.getByTestId('create-source').click();

    const shown = page.getByTestId('issued-key-value');
    await shown.waitFor();
    const key = await shown.inputValue();
    expect(key).toMatch(/^lfk_[A-Za-z0-9_-]{43}$/);
    firstKey = key;
    await page.screenshot({ path: path.join(ARTIFACTS, 'sources-key-shown-once.png'), fullPage: true });
    const row = page.locator('[data-source-id="wm7-direct"]');
    await eventually(() => row.textContent()).toContain('wm7');
    expect(await row.textContent()).toContain(key.slice(0, 8));

    // the key works, for its webmaster only
    expect(await postLead(key, 'wm1')).toEqual({ status: 202, wm: 'wm7', source: 'wm7-direct' });

    // once dismissed it is gone, and no reload brings it back
    await page.getByTestId('key-done').click();
    await eventually(() => page.getByTestId('issued-key').count()).toBe(0);
    expect(await page.content()).not.toContain(key);
    await page.reload();
    await eventually(() => page.locator('[data-source-id="wm7-direct"]').count()).toBe(1);
    expect(await page.content()).not.toContain(key);
  });

  it('rotates with a grace period (both keys work), shows the new key once, and revokes the old one', async () => {
    const { page } = world;
    const row = page.locator('[data-source-id="wm7-direct"]');
    const [{ keyId: oldId }] = (await world.runtime.sources.get('wm7-direct')).keys.map((k) => ({ keyId: k.id }));

    await row.getByTestId('rotate-grace').selectOption('3600');
    await row.getByTestId('rotate-key').click();
    const shown = page.getByTestId('issued-key-value');
    await shown.waitFor();
    const fresh = await shown.inputValue();
    expect(await page.getByTestId('issued-key').textContent()).toContain('wm7-direct');
    await eventually(() => row.locator('[data-key-id]').count()).toBe(2);
    expect(await row.locator(`[data-key-id="${oldId}"]`).textContent()).toContain('until');
    expect((await postLead(fresh, 'wm7')).status).toBe(202);
    expect((await postLead(firstKey, 'wm7')).status).toBe(202);

    page.once('dialog', (dialog) => void dialog.accept());
    await row.locator(`[data-key-id="${oldId}"]`).getByTestId('revoke-key').click();
    await eventually(() => row.locator('[data-key-id]').count()).toBe(1);
    expect((await postLead(firstKey, 'wm7')).status).toBe(401);
    expect((await postLead(fresh, 'wm7')).status).toBe(202);
    expect((await world.runtime.sources.get('wm7-direct')).keys.map((k) => k.id)).not.toContain(oldId);

    await page.getByTestId('key-done').click();
    expect(await page.content()).not.toContain(fresh);
  });
});
