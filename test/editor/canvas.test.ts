/**
 * The canvas reads: a flow opens laid out left to right with nothing on top of anything, its node
 * titles never drawn below 11 px; new and pasted nodes land in free space in view; Ctrl+S saves
 * from anywhere; a problem names its node by title and leads to it. In a real browser against the
 * real runtime.
 */
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FlowDoc } from '../../core/domain/flow.ts';
import { ARTIFACTS, buildEditor, node, startEditorWorld, waitForNodeCount, type EditorWorld } from './browser.ts';

let world: EditorWorld;

const eventually = <T>(read: () => Promise<T>) => expect.poll(read, { timeout: 10_000, interval: 50 });

beforeAll(async () => {
  await buildEditor();
  world = await startEditorWorld();
  // leaving a flow with unsaved changes asks first: these tests leave them
  world.page.on('dialog', (dialog) => void dialog.accept());
}, 120_000);

afterAll(async () => {
  await world?.close();
});

const at = { x: 0, y: 0 };

/** A ten-node delivery flow whose nodes were never placed: every one at (0, 0). */
function tenNodeFlow(id: string): FlowDoc {
  const nodes = [
    { id: 'lead', type: 'lead-in', params: {} },
    { id: 'body', type: 'json-build', params: { body: { phone: '{{lead.phone}}', name: '{{lead.name}}' } } },
    { id: 'sign', type: 'sign', params: { algorithm: 'md5' } },
    { id: 'send', type: 'http-request', label: 'Send order', params: { method: 'POST', url: '{{integration.settings.base_url}}/orders' } },
    { id: 'read', type: 'extract', params: {} },
    { id: 'status', type: 'map-status', params: {} },
    { id: 'update', type: 'update-lead', params: {} },
    { id: 'form', type: 'form-build', params: {} },
    {
      id: 'notify',
      type: 'http-request',
      label: 'Tell the CRM',
      params: { method: 'POST', url: '{{integration.settings.base_url}}/seen' },
    },
    { id: 'done', type: 'extract', label: 'Read the answer', params: {} },
  ].map((n) => ({ ...n, position: { ...at } }));
  const edges = nodes
    .slice(1)
    .map((n, i) => ({ id: `e${i + 1}`, source: nodes[i].id, sourceHandle: 'out', target: n.id, targetHandle: 'in' }));
  return { id, name: 'Acme: ten nodes', event: 'lead.new', version: 0, nodes, edges };
}

interface Drawn {
  id: string;
  x: number;
  y: number;
  width: number;
  height: number;
  /** The smallest text in the node (title, id line, badges) times the canvas zoom: what the eye gets, in screen px. */
  titlePx: number;
}

/** Every node's box on screen and how big its title is drawn. */
function drawnNodes(page: Page): Promise<Drawn[]> {
  return page.evaluate(() => {
    const viewport = document.querySelector('.react-flow__viewport') as HTMLElement;
    const zoom = new DOMMatrix(getComputedStyle(viewport).transform).a;
    return Array.from(document.querySelectorAll<HTMLElement>('.react-flow__node')).map((el) => {
      const box = el.getBoundingClientRect();
      // every element that draws text of its own, not only the title
      const texts = Array.from(el.querySelectorAll<HTMLElement>('*')).filter((t) =>
        Array.from(t.childNodes).some((c) => c.nodeType === Node.TEXT_NODE && c.textContent?.trim()),
      );
      const px = texts.length ? Math.min(...texts.map((t) => parseFloat(getComputedStyle(t).fontSize))) : 0;
      return { id: el.dataset.id ?? '', x: box.x, y: box.y, width: box.width, height: box.height, titlePx: px * zoom };
    });
  });
}

function overlapping(boxes: Drawn[]): string[] {
  const hits: string[] = [];
  for (let i = 0; i < boxes.length; i++)
    for (let j = i + 1; j < boxes.length; j++) {
      const [a, b] = [boxes[i], boxes[j]];
      if (a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height) hits.push(`${a.id}/${b.id}`);
    }
  return hits;
}

async function canvasBox(page: Page) {
  const box = await page.getByTestId('canvas').boundingBox();
  if (!box) throw new Error('no canvas');
  return box;
}

/** The signed-in user's draft of a flow as the server keeps it (Ctrl+S saves the draft at once). */
async function savedDraft(id: string): Promise<FlowDoc> {
  const answer = await fetch(`${world.baseUrl}/api/flows/${id}/draft`, { headers: { cookie: world.cookie } });
  expect(answer.status).toBe(200);
  return ((await answer.json()) as { doc: FlowDoc }).doc;
}

async function openFlow(id: string): Promise<void> {
  const { page, baseUrl } = world;
  await page.goto('about:blank');
  await page.goto(`${baseUrl}/#/flows/${id}`);
  await page.getByTestId('flow-title').waitFor();
}

describe('the canvas', () => {
  for (const size of [
    { width: 1440, height: 900 },
    { width: 1280, height: 720 },
  ]) {
    it(`opens a ten-node flow whose nodes were never placed laid out left to right, every node text at 11 px or more (${size.width}×${size.height})`, async () => {
      const { page, runtime } = world;
      await page.setViewportSize(size);
      const id = `acme-ten-${size.width}`;
      await runtime.flows.save(tenNodeFlow(id), 'anna');
      await openFlow(id);
      await waitForNodeCount(page, 10);
      await eventually(async () => overlapping(await drawnNodes(page))).toEqual([]);
      const drawn = await drawnNodes(page);
      for (const n of drawn) expect(n.titlePx, n.id).toBeGreaterThanOrEqual(11);
      // left to right along the edges, starting in view at the trigger
      const x = (nodeId: string) => drawn.find((n) => n.id === nodeId)?.x ?? NaN;
      expect(x('lead')).toBeLessThan(x('body'));
      expect(x('body')).toBeLessThan(x('sign'));
      expect(x('update')).toBeLessThan(x('done'));
      const canvas = await canvasBox(page);
      expect(x('lead')).toBeGreaterThanOrEqual(canvas.x);
      await page.screenshot({ path: path.join(ARTIFACTS, `canvas-ten-nodes-${size.width}x${size.height}.png`) });

      // "fit view" keeps the text readable too
      await page.locator('.react-flow__controls-fitview').click();
      await page.waitForTimeout(100);
      for (const n of await drawnNodes(page)) expect(n.titlePx, n.id).toBeGreaterThanOrEqual(11);
      await page.setViewportSize({ width: 1440, height: 900 });
    }, 60_000);
  }

  it('tidies up a flow whose nodes sit on top of each other, as one undo step', async () => {
    const { page, runtime } = world;
    const flow = tenNodeFlow('acme-tidy');
    flow.nodes = flow.nodes.map((n, i) => ({ ...n, position: { x: (i % 3) * 260, y: 0 } }));
    await runtime.flows.save(flow, 'anna');
    await openFlow('acme-tidy');
    await waitForNodeCount(page, 10);
    // laid out on opening already, since nodes overlap: moved by hand back on top of each other is a job for Tidy up
    await eventually(async () => overlapping(await drawnNodes(page))).toEqual([]);
    const sign = node(page, 'sign');
    const lead = await node(page, 'lead').boundingBox();
    const box = await sign.boundingBox();
    if (!lead || !box) throw new Error('no nodes');
    await page.mouse.move(box.x + 40, box.y + 10);
    await page.mouse.down();
    await page.mouse.move(lead.x + 60, lead.y + 20, { steps: 8 });
    await page.mouse.up();
    expect(overlapping(await drawnNodes(page))).not.toEqual([]);
    await page.getByTestId('tidy-up').click();
    await eventually(async () => overlapping(await drawnNodes(page))).toEqual([]);
    await page.getByTestId('undo').click();
    await eventually(async () => overlapping(await drawnNodes(page)).length).toBeGreaterThan(0);
  }, 60_000);

  it('pastes nodes into free space in view, on top of no other node', async () => {
    const { page, baseUrl, context } = world;
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: baseUrl });
    await world.runtime.flows.save(tenNodeFlow('acme-paste'), 'anna');
    await openFlow('acme-paste');
    await waitForNodeCount(page, 10);
    await node(page, 'sign').click();
    await page.keyboard.press('Control+c');
    await page.keyboard.press('Control+v');
    await waitForNodeCount(page, 11);
    const drawn = await drawnNodes(page);
    expect(overlapping(drawn)).toEqual([]);
    const pasted = drawn.find((n) => n.id === 'sign_2');
    const canvas = await canvasBox(page);
    expect(pasted).toBeDefined();
    expect(pasted!.x).toBeGreaterThanOrEqual(canvas.x);
    expect(pasted!.y).toBeGreaterThanOrEqual(canvas.y);
    expect(pasted!.x + pasted!.width).toBeLessThanOrEqual(canvas.x + canvas.width);
    expect(pasted!.y + pasted!.height).toBeLessThanOrEqual(canvas.y + canvas.height);
    await page.screenshot({ path: path.join(ARTIFACTS, 'canvas-paste-in-view.png') });
  }, 60_000);

  it('saves with Ctrl+S while the cursor is in a field of the panel, without the browser asking where to save', async () => {
    const { page, runtime } = world;
    await runtime.flows.save(tenNodeFlow('acme-save'), 'anna');
    await openFlow('acme-save');
    await node(page, 'send').click();
    const label = page.locator('#label-send');
    await label.fill('Send the order');
    await page.getByTestId('dirty').waitFor();
    await label.press('Control+s');
    await eventually(() => page.getByTestId('draft-state').getAttribute('data-state')).toBe('saved');
    expect((await savedDraft('acme-save')).nodes.find((n) => n.id === 'send')?.label).toBe('Send the order');
    // the draft, not the live version: leads keep running what was published
    expect((await runtime.flows.load('acme-save')).nodes.find((n) => n.id === 'send')?.label).not.toBe('Send the order');
  }, 60_000);

  it('names each problem by its node’s title, and a click on it selects and centres that node', async () => {
    const { page, runtime } = world;
    await runtime.flows.save(tenNodeFlow('acme-problems'), 'anna');
    await openFlow('acme-problems');
    await waitForNodeCount(page, 10);
    await node(page, 'send').click();
    await page.locator('[data-param="url"] input').fill('');
    await node(page, 'lead').click();
    await page.getByTestId('problems').click();
    const line = page.locator('[data-testid="flow-issues"] [data-issue-node="send"]');
    await eventually(() => line.textContent()).toBe('Send order: URL is required');
    // the canvas dragged away from the node first, so the click has to bring it back
    const canvas = await canvasBox(page);
    await page.mouse.move(canvas.x + 300, canvas.y + 40);
    await page.mouse.down();
    await page.mouse.move(canvas.x + 20, canvas.y + 40, { steps: 6 });
    await page.mouse.up();
    await line.click();
    await eventually(() => node(page, 'send').getAttribute('class')).toContain('selected');
    await eventually(async () => {
      const box = await node(page, 'send').boundingBox();
      return box ? Math.abs(box.x + box.width / 2 - (canvas.x + canvas.width / 2)) : Infinity;
    }).toBeLessThan(20);
    await page.screenshot({ path: path.join(ARTIFACTS, 'canvas-problem-by-title.png') });
  }, 60_000);

  it('disables, duplicates and adds notes from the right-click menu; notes and the switched-off node are saved', async () => {
    const { page, runtime } = world;
    await runtime.flows.save(tenNodeFlow('acme-menu'), 'anna');
    await openFlow('acme-menu');
    await waitForNodeCount(page, 10);
    const menu = page.getByTestId('canvas-menu');

    await node(page, 'sign').click({ button: 'right' });
    await menu.getByRole('menuitem', { name: /^Disable/ }).click();
    await node(page, 'sign').locator('[data-disabled]').waitFor();
    await page.screenshot({ path: path.join(ARTIFACTS, 'canvas-node-disabled.png') });

    await node(page, 'body').click({ button: 'right' });
    await expect
      .poll(() => menu.getByRole('menuitem').allTextContents())
      .toEqual(['Duplicate', 'Disable (skip when the flow runs)', 'Add a note', 'Delete']);
    await menu.getByRole('menuitem', { name: 'Duplicate' }).click();
    await waitForNodeCount(page, 11);
    expect(overlapping(await drawnNodes(page))).toEqual([]);
    // the copy is connected to nothing, so the flow could not be saved with it: deleted from the menu
    await node(page, 'body_2').click({ button: 'right' });
    await menu.getByRole('menuitem', { name: 'Delete' }).click();
    await waitForNodeCount(page, 10);

    const canvas = await canvasBox(page);
    await page.mouse.click(canvas.x + 200, canvas.y + 60, { button: 'right' });
    await expect.poll(() => menu.getByRole('menuitem').allTextContents()).toEqual(['Add a note here', 'Paste here', 'Tidy up']);
    await page.screenshot({ path: path.join(ARTIFACTS, 'canvas-pane-menu.png') });
    await menu.getByRole('menuitem', { name: 'Add a note here' }).click();
    const note = page.locator('.lf-note');
    await note.waitFor();
    await note.getByLabel('Note text').fill('The CRM wants the phone without +');
    await page.screenshot({ path: path.join(ARTIFACTS, 'canvas-note.png') });
    await note.getByLabel('Note text').press('Control+s');
    await eventually(() => page.getByTestId('draft-state').getAttribute('data-state')).toBe('saved');

    const saved = await savedDraft('acme-menu');
    expect(saved.nodes.find((n) => n.id === 'sign')?.disabled).toBe(true);
    expect(saved.nodes.map((n) => n.id)).not.toContain('body_2');
    expect(saved.notes).toEqual([expect.objectContaining({ id: 'note_1', text: 'The CRM wants the phone without +' })]);

    // opened again, the note is there; its × deletes it
    await openFlow('acme-menu');
    await eventually(() => page.locator('.lf-note textarea').inputValue()).toBe('The CRM wants the phone without +');
    await page.locator('.lf-note').getByRole('button', { name: 'Delete note' }).click();
    await page.locator('.lf-note').waitFor({ state: 'detached' });
    await node(page, 'sign').click({ button: 'right' });
    await menu.getByRole('menuitem', { name: 'Enable' }).click();
    await node(page, 'sign').locator('[data-disabled]').waitFor({ state: 'detached' });
  }, 60_000);

  it('imports a curl command with a key in the URL: the key becomes a secret of the integration, the host its base_url', async () => {
    const { page, runtime } = world;
    await runtime.integrations.create({ id: 'beta', name: 'Beta CRM', settings: {}, secrets: {}, offers: [] });
    const lead = { id: 'lead', type: 'lead-in', position: { x: 0, y: 100 }, params: {} };
    await runtime.flows.save({ id: 'beta-curl', name: 'Beta: from curl', event: 'lead.new', nodes: [lead], edges: [] }, 'anna');
    await openFlow('beta-curl');
    await waitForNodeCount(page, 1);
    await page.getByRole('button', { name: 'Import curl' }).click();
    await page
      .getByRole('textbox', { name: 'curl command' })
      .fill(`curl 'https://crm.beta.test/api/wm/push.json?id=17-3f9a0c5e77d1b2a4&offer=12' -d 'phone=%2B49+151+1234567&name=Anna'`);
    await page.getByTestId('curl-review').click();
    await page.getByLabel('Integration that keeps the secrets and the base URL').selectOption('beta');
    const secret = page.locator('[data-testid="curl-secrets"] tr[data-secret="api_key"]');
    await eventually(() => secret.textContent()).toContain('the URL parameter "id"');
    expect(await page.getByTestId('curl-dialog').textContent()).not.toContain('3f9a0c5e77d1b2a4');
    await eventually(() => page.getByTestId('curl-base-url').textContent()).toContain(
      'has no base URL yet: it is set to https://crm.beta.test',
    );
    await page.screenshot({ path: path.join(ARTIFACTS, 'canvas-curl-review-1440x900.png') });
    await page.setViewportSize({ width: 1280, height: 720 });
    await page.screenshot({ path: path.join(ARTIFACTS, 'canvas-curl-review-1280x720.png') });
    await page.setViewportSize({ width: 1440, height: 900 });

    await page.getByTestId('curl-create').click();
    await waitForNodeCount(page, 3);
    await page.waitForFunction(() => document.querySelectorAll('.react-flow__edge').length === 2);
    const stored = await runtime.integrations.get('beta');
    expect(stored.secrets.api_key).toBe('17-3f9a0c5e77d1b2a4');
    expect(stored.settings.base_url).toBe('https://crm.beta.test');

    // wired after the trigger, right of it, in view (once the view has panned to them), on top of nothing
    const canvas = await canvasBox(page);
    const outOfView = (drawn: Drawn[]) => drawn.filter((n) => n.x < canvas.x || n.x + n.width > canvas.x + canvas.width).map((n) => n.id);
    await eventually(async () => outOfView(await drawnNodes(page))).toEqual([]);
    const drawn = await drawnNodes(page);
    const x = (id: string) => drawn.find((n) => n.id === id)?.x ?? NaN;
    expect(x('form')).toBeGreaterThan(x('lead'));
    expect(x('request')).toBeGreaterThan(x('form'));
    expect(overlapping(drawn)).toEqual([]);
    await node(page, 'request').click();
    await eventually(() => page.locator('[data-param="url"] input').inputValue()).toBe(
      '{{integration.settings.base_url}}/api/wm/push.json',
    );
    await eventually(() => page.getByLabel('URL parameters row 1 value').inputValue()).toBe('{{secrets.api_key}}');
    await page.screenshot({ path: path.join(ARTIFACTS, 'canvas-curl-imported.png') });
  }, 60_000);
});
