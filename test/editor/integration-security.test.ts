/**
 * The integration page's security sections in a real browser against the real runtime, logged in
 * as the admin: rotating the postback token with a grace period shows the new URL, whose token
 * differs, and both the new and the old token are accepted by /postback/… meanwhile; the allowed
 * hosts list is edited, saved, and read back from the API.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FlowDoc } from '../../core/domain/flow.ts';
import { ARTIFACTS, buildEditor, startEditorWorld, type EditorWorld } from './browser.ts';

let world: EditorWorld;

const eventually = <T>(read: () => Promise<T>) => expect.poll(read, { timeout: 10_000, interval: 50 });

beforeAll(async () => {
  await buildEditor();
  world = await startEditorWorld();
  // a postback flow that only reads the call: an accepted token answers 200, a refused one 401
  const postback: Omit<FlowDoc, 'version'> = {
    id: 'acme-postback',
    name: 'Acme: postbacks',
    event: 'postback.in',
    nodes: [{ id: 'in', type: 'postback-in', position: { x: 0, y: 0 }, params: {} }],
    edges: [],
  };
  await world.runtime.flows.save(postback as FlowDoc, 'anna');
  await world.runtime.integrations.update('acme', { flows: { 'postback.in': 'acme-postback' } });
}, 240_000);

afterAll(async () => {
  await world?.close();
});

const tokenOf = (url: string) => new URL(url).searchParams.get('token') ?? '';

/** A postback for acme with `token`, as a target would call it; answers the status. */
async function postback(token: string): Promise<number> {
  const res = await fetch(`${world.baseUrl}/postback/acme?token=${encodeURIComponent(token)}&status=wait&oid=1`);
  await res.text();
  return res.status;
}

async function api(method: string, route: string): Promise<any> {
  const res = await fetch(world.baseUrl + route, { method, headers: { cookie: world.cookie } });
  return res.json();
}

describe("the integration page's security sections", () => {
  it('rotates the postback token with a grace period: a new URL with another token, and both tokens work meanwhile', async () => {
    const { page, baseUrl } = world;
    await page.goto(`${baseUrl}/#/integrations/acme`);
    await page.getByTestId('integration-detail').waitFor();
    // the token is masked until shown
    await page.getByTestId('postback-url-show').click();
    const before = await page.getByTestId('postback-url').inputValue();
    const oldToken = tokenOf(before);
    expect(oldToken).not.toBe('');
    expect(await postback(oldToken)).toBe(200);

    await page.getByTestId('postback-grace').selectOption({ label: 'works 1 more day' });
    await page.getByTestId('rotate-postback-token').click();
    const shown = page.getByTestId('rotated-postback-url');
    await shown.waitFor();
    await page.getByTestId('rotated-postback-url-show').click();
    const rotatedUrl = await shown.inputValue();
    const newToken = tokenOf(rotatedUrl);
    expect(newToken).not.toBe('');
    expect(newToken).not.toBe(oldToken);
    expect(rotatedUrl.replace(newToken, '')).toBe(before.replace(oldToken, ''));
    await expect.poll(() => page.getByTestId('rotated').textContent()).toContain('The old one works until');
    // the page's own postback URL follows the rotation, and says the old token still works
    await eventually(() => page.getByTestId('postback-url').inputValue()).toBe(rotatedUrl);
    await page.getByTestId('previous-token').waitFor();
    await page.screenshot({ path: path.join(ARTIFACTS, 'integration-postback-rotated.png'), fullPage: true });

    expect(await postback(newToken)).toBe(200);
    expect(await postback(oldToken)).toBe(200);
    expect(await postback('not-the-token-0123456789')).toBe(401);
    const stored = await api('GET', '/api/integrations/acme');
    expect(tokenOf(stored.postbackUrl)).toBe(newToken);
    expect(Date.parse(stored.previousTokenUntil)).toBeGreaterThan(Date.now() + 23 * 3600_000);
  });

  it('edits the allowed hosts: empty means the host of base_url, and a saved list is what the API answers', async () => {
    const { page, baseUrl, target } = world;
    await page.goto(`${baseUrl}/#/integrations/acme`);
    const section = page.getByTestId('allowed-hosts');
    await section.waitFor();
    // nothing listed yet: the help names base_url's host, the one secrets go to
    expect(await section.textContent()).toContain(new URL(target.url).host);
    expect(await section.textContent()).toContain('secrets go to the host of base_url only');

    await page.getByTestId('add-allowed-host').click();
    await page.getByLabel('Allowed host 1', { exact: true }).fill('api.acme.example.com');
    await page.getByTestId('add-allowed-host').click();
    await page.getByLabel('Allowed host 2', { exact: true }).fill('*.acme-cdn.example.net');
    await page.getByTestId('save-allowed-hosts').click();
    await eventually(async () => (await api('GET', '/api/integrations/acme')).allowedHosts).toEqual([
      'api.acme.example.com',
      '*.acme-cdn.example.net',
    ]);
    await eventually(() => page.getByTestId('save-allowed-hosts').isDisabled()).toBe(true);

    // a refused entry is not saved: the server names it, and the stored list stays
    await page.getByTestId('add-allowed-host').click();
    await page.getByLabel('Allowed host 3', { exact: true }).fill('169.254.169.254');
    await page.getByTestId('save-allowed-hosts').click();
    await eventually(() => page.getByTestId('notice').last().textContent()).toContain('allowedHosts[2]');
    expect((await api('GET', '/api/integrations/acme')).allowedHosts).toEqual(['api.acme.example.com', '*.acme-cdn.example.net']);

    // removed and saved again, after a reload the list is the saved one
    await page.getByLabel('Remove allowed host 3').click();
    await page.getByLabel('Remove allowed host 1').click();
    await page.getByTestId('save-allowed-hosts').click();
    await eventually(async () => (await api('GET', '/api/integrations/acme')).allowedHosts).toEqual(['*.acme-cdn.example.net']);
    await page.reload();
    await page.getByTestId('allowed-hosts').waitFor();
    await eventually(() => page.getByLabel('Allowed host 1', { exact: true }).inputValue()).toBe('*.acme-cdn.example.net');
    expect(await page.getByLabel('Allowed host 2', { exact: true }).count()).toBe(0);
  });
});
