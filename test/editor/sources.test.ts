/**
 * The Sources screen in a real browser against the real runtime: an integrator creates a webmaster
 * source for one offer, sees its key once, and posts a lead with it; rotating with a grace period
 * shows the new key once and leaves both working; revoking stops the old one. After "Done" (or a
 * reload) the key is nowhere on the page. Webmasters: a postback URL edited with the macros listed
 * beside it, per-stream URLs, and a test postback sent to a mock tracker whose answer is shown.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FlowDoc } from '../../core/domain/flow.ts';
import { POSTBACK_MACROS } from '../../core/domain/postback-macros.ts';
import { startMockServer } from '../support/harness.ts';
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

describe('the Webmasters section', () => {
  it('creates a webmaster, edits his postback URL with a macro from the list, and shows the tracker’s answer to a test postback', async () => {
    const { page, baseUrl } = world;
    const tracker = await startMockServer((r) =>
      r.path === '/broken' ? { status: 500, body: 'tracker error: unknown click' } : { status: 200, body: 'OK postback saved' },
    );
    try {
      await page.goto(`${baseUrl}/#/sources`);
      await page.getByTestId('webmasters-section').waitFor();
      // the macros are listed with their meaning, from the kernel's list
      const macros = page.getByTestId('postback-macros');
      expect(await macros.locator('[data-macro]').count()).toBe(POSTBACK_MACROS.length);
      expect(await macros.locator('[data-macro="subid"] button').getAttribute('title')).toContain('click id');
      await macros.getByTestId('macro-meanings').locator('summary').click();
      expect(await macros.locator('[data-macro-meaning="subid"]').textContent()).toContain('click id');
      await macros.getByTestId('macro-meanings').locator('summary').click();

      await page.getByTestId('new-webmaster').click();
      const form = page.getByTestId('webmaster-form');
      await form.getByTestId('webmaster-id').fill('wm7');
      await form.getByTestId('webmaster-name').fill('Webmaster 7');
      await form.getByTestId('postback-url').fill(`${tracker.url}/broken?click={subid}`);
      await form.getByTestId('save-webmaster').click();
      const card = page.locator('[data-webmaster-id="wm7"]');
      await card.waitFor();
      // the source made in the first test posts as wm7: its key's hint is shown beside him
      const keys = card.getByTestId('webmaster-keys').locator('[data-source="wm7-direct"]');
      expect(await keys.textContent()).toMatch(/Webmaster 7: lfk_[\w-]{4}…/);

      // a failing tracker is shown as a failure, with its status and answer
      await card.getByTestId('send-test-postback').click();
      const answer = card.getByTestId('tracker-answer');
      await answer.waitFor();
      expect(await answer.getAttribute('data-ok')).toBe('false');
      expect(await answer.getByTestId('tracker-answer-headline').textContent()).toContain('HTTP 500');
      expect(await answer.getByTestId('tracker-answer-body').textContent()).toBe('tracker error: unknown click');

      // the URL edited (a macro clicked in at the cursor), tried before saving, then saved
      const url = card.getByTestId('postback-url');
      await url.fill(`${tracker.url}/pb?click={subid}&status=`);
      await url.press('End');
      await macros.locator('[data-macro="stage"] button').click();
      await eventually(() => url.inputValue()).toBe(`${tracker.url}/pb?click={subid}&status={stage}`);
      await card.getByTestId('test-postback-stage').selectOption('cancel');
      await card.getByTestId('send-test-postback').click();
      await eventually(() => answer.getAttribute('data-ok')).toBe('true');
      expect(await answer.getByTestId('tracker-answer-headline').textContent()).toMatch(/HTTP 200 in \d+ ms/);
      expect(await answer.getByTestId('tracker-answer-body').textContent()).toBe('OK postback saved');
      expect(tracker.received.at(-1)?.url).toBe('/pb?click=leadflow-test-click&status=cancel');
      await page.setViewportSize({ width: 1440, height: 900 });
      await page.screenshot({ path: path.join(ARTIFACTS, 'webmasters-test-postback-1440.png'), fullPage: true });
      await page.setViewportSize({ width: 1280, height: 720 });
      await page.screenshot({ path: path.join(ARTIFACTS, 'webmasters-test-postback-1280.png'), fullPage: true });
      await page.setViewportSize({ width: 1440, height: 900 });

      await card.getByTestId('save-webmaster').click();
      await eventually(async () => (await world.runtime.config.getWebmaster('wm7'))?.postbackUrl).toBe(
        `${tracker.url}/pb?click={subid}&status={stage}`,
      );
      await eventually(() => card.getByTestId('save-webmaster').textContent()).toBe('Saved');

      // at 1440×900 the macros stay compact: the sources below are in view with the webmaster open
      await page.evaluate(() => window.scrollTo(0, 0));
      const sourcesHead = page.getByRole('heading', { name: 'Sources and their intake keys' });
      const box = await sourcesHead.boundingBox();
      expect(box && box.y + box.height).toBeLessThan(900);
      await page.screenshot({ path: path.join(ARTIFACTS, 'webmasters-fold-1440.png') });
      await page.setViewportSize({ width: 1280, height: 720 });
      await page.screenshot({ path: path.join(ARTIFACTS, 'webmasters-fold-1280.png') });
      await page.setViewportSize({ width: 1440, height: 900 });
    } finally {
      await tracker.stop();
    }
  });

  it('keeps a URL per stream, tested for that stream, and warns of a word that is not a macro', async () => {
    const { page } = world;
    const tracker = await startMockServer(() => ({ status: 200, body: 'ok' }));
    try {
      const card = page.locator('[data-webmaster-id="wm7"]');
      await card.getByText('+ Add a stream URL').click();
      await card.getByLabel('stream 1 id').fill('s42');
      await card.getByLabel('stream 1 postback URL').fill(`${tracker.url}/s42?c={subid}&f={flow}&x={sub_id}`);
      expect(await card.getByTestId('unknown-macros').textContent()).toContain('{sub_id}');
      await card.getByTestId('save-webmaster').click();
      await eventually(async () => (await world.runtime.config.getWebmaster('wm7'))?.streamPostbackUrls).toEqual({
        s42: `${tracker.url}/s42?c={subid}&f={flow}&x={sub_id}`,
      });
      await card.getByTestId('test-postback-url').selectOption({ label: 'stream s42' });
      await card.getByTestId('send-test-postback').click();
      // this test's answer, not the one shown from the general URL's test before it
      await eventually(async () => (await card.getByTestId('tracker-answer').textContent()) ?? '').toContain('not replaced: {sub_id}');
      expect(await card.getByTestId('tracker-answer').getAttribute('data-ok')).toBe('true');
      expect(tracker.received[0].url).toBe('/s42?c=leadflow-test-click&f=s42&x={sub_id}');
    } finally {
      await tracker.stop();
    }
  });
});
