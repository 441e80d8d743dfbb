import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Integration, Offer } from '../../core/domain/config.ts';
import type { FlowDoc } from '../../core/domain/flow.ts';
import { openLowdbConfigStore, type LowdbConfigStore } from '../../runtime/store/lowdb.ts';

let dir: string;
let config: LowdbConfigStore;

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leadflow-config-'));
  config = await openLowdbConfigStore(dir);
});

afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const offer: Offer = {
  id: 'slim-tea',
  name: 'Slim Tea',
  parameters: { crm_offer_id: '17', 'crm_offer_id-de': '18' },
  goals: [{ id: 'sale', parameters: { goal: '1' } }],
  products: [{ id: 'tea-30', price: 39.5 }],
};

const integration: Integration = {
  id: 'crm',
  name: 'Demo CRM',
  enabled: true,
  settings: { base_url: 'http://127.0.0.1:9/api' },
  secrets: { api_key: 'k-123456', hmac_secret: 's3cr3t' },
  offers: ['slim-tea'],
  flows: { 'lead.new': 'crm-send' },
  postbackToken: 'tok-abc',
};

const flow = (name: string, url: string): FlowDoc => ({
  id: 'crm-send',
  name,
  event: 'lead.new',
  version: 0,
  nodes: [
    { id: 'lead', type: 'lead-in', position: { x: 0, y: 0 }, params: {} },
    { id: 'http', type: 'http-request', position: { x: 250, y: 0 }, params: { method: 'POST', url } },
  ],
  edges: [{ id: 'e1', source: 'lead', sourceHandle: 'out', target: 'http', targetHandle: 'in' }],
});

describe('flows', () => {
  it('a new flow is saved as version 1 and the next save as version 2, whatever version the document claims', async () => {
    const first = await config.saveFlowVersion({ ...flow('Send', '/v1'), version: 41 }, 'anna');
    const second = await config.saveFlowVersion({ ...flow('Send', '/v2'), version: 1 }, 'boris');

    expect(first.version).toBe(1);
    expect(second.version).toBe(2);
    const stored = (await config.getFlow('crm-send'))!;
    expect(stored.currentVersion).toBe(2);
    expect(stored.versions.map((v) => [v.version, v.savedBy])).toEqual([
      [1, 'anna'],
      [2, 'boris'],
    ]);
    expect(new Date(stored.versions[0].savedAt).toISOString()).toBe(stored.versions[0].savedAt);
  });

  it('saving version 2 leaves version 1 readable and unchanged', async () => {
    await config.saveFlowVersion(flow('Send', '/v1'), 'anna');
    const v1 = await config.getFlowVersion('crm-send', 1);

    await config.saveFlowVersion(flow('Send orders', '/v2'), 'anna');

    expect(await config.getFlowVersion('crm-send', 1)).toEqual(v1);
    expect(v1).toEqual({ ...flow('Send', '/v1'), version: 1 });
    expect((await config.getFlowVersion('crm-send'))?.nodes[1].params.url).toBe('/v2');
    expect((await config.getFlowVersion('crm-send', 2))?.version).toBe(2);
  });

  it('the flow takes the name and event of its newest version', async () => {
    await config.saveFlowVersion(flow('Send', '/v1'), 'anna');
    await config.saveFlowVersion({ ...flow('Upsell', '/v2'), event: 'lead.update' }, 'anna');

    expect(await config.getFlow('crm-send')).toMatchObject({ name: 'Upsell', event: 'lead.update' });
  });

  it('neither the saved document nor a returned one can change a stored version', async () => {
    const doc = flow('Send', '/v1');
    const returned = await config.saveFlowVersion(doc, 'anna');
    doc.nodes[1].params.url = '/changed-by-caller';
    returned.nodes[1].params.url = '/changed-by-returned';
    const read = (await config.getFlowVersion('crm-send', 1))!;
    read.nodes.pop();
    (await config.getFlow('crm-send'))!.versions[0].flow.name = 'mutated';

    expect(await config.getFlowVersion('crm-send', 1)).toEqual({ ...flow('Send', '/v1'), version: 1 });
  });

  it('an unknown flow or version reads as undefined', async () => {
    await config.saveFlowVersion(flow('Send', '/v1'), 'anna');

    expect(await config.getFlowVersion('nope')).toBeUndefined();
    expect(await config.getFlowVersion('crm-send', 2)).toBeUndefined();
    expect(await config.getFlow('nope')).toBeUndefined();
  });

  it('deleteFlow removes the flow with its versions and says whether there was one', async () => {
    await config.saveFlowVersion(flow('Send', '/v1'), 'anna');

    expect(await config.deleteFlow('crm-send')).toBe(true);
    expect(await config.deleteFlow('crm-send')).toBe(false);
    expect(await config.listFlows()).toEqual([]);
  });

  it('concurrent saves of one flow get distinct consecutive versions', async () => {
    const saved = await Promise.all(Array.from({ length: 5 }, (_, i) => config.saveFlowVersion(flow('Send', `/v${i}`), 'anna')));

    expect(saved.map((f) => f.version).sort()).toEqual([1, 2, 3, 4, 5]);
    expect((await config.getFlow('crm-send'))?.versions).toHaveLength(5);
  });
});

describe('offers, integrations and webmasters', () => {
  it('an offer is stored, replaced by id and deleted', async () => {
    await config.putOffer(offer);
    await config.putOffer({ ...offer, id: 'hair-oil', name: 'Hair Oil' });
    await config.putOffer({ ...offer, name: 'Slim Tea 2' });

    expect((await config.listOffers()).map((o) => [o.id, o.name])).toEqual([
      ['slim-tea', 'Slim Tea 2'],
      ['hair-oil', 'Hair Oil'],
    ]);
    expect(await config.deleteOffer('hair-oil')).toBe(true);
    expect(await config.deleteOffer('hair-oil')).toBe(false);
    expect(await config.getOffer('hair-oil')).toBeUndefined();
  });

  it("an integration's secrets come back in clear but are sealed in the file: masking them in answers is the API layer's job", async () => {
    await config.putIntegration(integration);

    expect(await config.getIntegration('crm')).toEqual(integration);
    const file = fs.readFileSync(config.file, 'utf8');
    expect(file).not.toContain('s3cr3t');
    expect(JSON.parse(file).integrations[0].secrets.hmac_secret).toMatch(/^enc:v1:[0-9a-f]{8}:/);
  });

  it("an offer's leads are routed to the enabled integration that takes it", async () => {
    await config.putIntegration({ ...integration, id: 'off', enabled: false });
    await config.putIntegration(integration);
    await config.putIntegration({ ...integration, id: 'other', offers: ['cream'] });
    expect((await config.findIntegrationForOffer('slim-tea'))?.id).toBe('crm');
    expect((await config.findIntegrationForOffer('cream'))?.id).toBe('other');
    expect(await config.findIntegrationForOffer('nothing')).toBeUndefined();
  });

  it('a caller changing an object it put or got does not change the store', async () => {
    const mine = structuredClone(integration);
    await config.putIntegration(mine);
    mine.secrets.api_key = 'changed';
    (await config.getIntegration('crm'))!.offers.push('x');
    (await config.listIntegrations())[0].enabled = false;

    expect(await config.getIntegration('crm')).toEqual(integration);
  });

  it('the lookups every lead makes hand out the stored record read-only: writing to it throws and the store keeps its state', async () => {
    await config.putIntegration(integration);
    const at = '2026-01-01T00:00:00Z';
    await config.putSource({
      id: 'net',
      kind: 'network',
      offers: '*',
      keys: [{ id: 'k1', hash: 'ab12', hint: 'lfk_ab', created_at: at }],
      created_at: at,
      updated_at: at,
    });

    const routed = (await config.findIntegrationForOffer('slim-tea'))!;
    expect(() => (routed.enabled = false)).toThrow(TypeError);
    expect(() => (routed.secrets.api_key = 'changed')).toThrow(TypeError);
    expect(() => routed.offers.push('x')).toThrow(TypeError);
    const source = (await config.findSourceByKeyHash('ab12'))!;
    expect(() => source.keys.push({ id: 'k2', hash: 'cd34', hint: 'lfk_cd', created_at: at })).toThrow(TypeError);
    expect(() => (source.keys[0].hash = 'cd34')).toThrow(TypeError);

    expect(await config.getIntegration('crm')).toEqual(integration);
    expect((await config.findSourceByKeyHash('ab12'))?.keys).toHaveLength(1);
    // a change still goes through the store, and what it hands out then is the new record
    await config.putIntegration({ ...integration, name: 'Renamed' });
    expect((await config.findIntegrationForOffer('slim-tea'))?.name).toBe('Renamed');
  });

  it('a routing change writes the offer, one integration and the others’ offer lists at once, keeping secrets renewed meanwhile', async () => {
    await config.putOffer(offer);
    await config.putIntegration(integration);
    await config.putIntegration({ ...integration, id: 'beta', offers: [] });
    await config.setIntegrationSecret('beta', 'refresh_token', 'renewed');
    const beta = { ...integration, id: 'beta', name: 'Beta', offers: ['slim-tea'], secrets: {} };

    await config.putRouting({
      offers: [{ ...offer, routes: { new: 'beta' } }],
      integration: { record: beta, secretChanges: {} },
      integrationOffers: { crm: [], gone: [] },
    });
    expect((await config.getOffer('slim-tea'))?.routes).toEqual({ new: 'beta' });
    expect((await config.getIntegration('crm'))?.offers).toEqual([]);
    expect((await config.getIntegration('crm'))?.secrets).toEqual(integration.secrets);
    expect(await config.getIntegration('beta')).toMatchObject({ name: 'Beta', offers: ['slim-tea'] });
    expect((await config.getIntegration('beta'))?.secrets.refresh_token).toBe('renewed');
    expect(await config.getIntegration('gone')).toBeUndefined();

    await config.putRouting({ deleteOffer: 'slim-tea', integrationOffers: { beta: [] } });
    expect(await config.listOffers()).toEqual([]);
    expect((await config.getIntegration('beta'))?.offers).toEqual([]);
  });

  it('webmasters are stored and listed', async () => {
    await config.putWebmaster({ id: 'wm7', postbackUrl: 'https://tracker.example/pb?s={subid}&st={stage}' });
    await config.putWebmaster({ id: 'wm8' });

    expect(await config.getWebmaster('wm7')).toEqual({ id: 'wm7', postbackUrl: 'https://tracker.example/pb?s={subid}&st={stage}' });
    expect((await config.listWebmasters()).map((w) => w.id)).toEqual(['wm7', 'wm8']);
    expect(await config.deleteWebmaster('wm8')).toBe(true);
  });
});

describe('the file', () => {
  it('is created empty at open, in a folder made for it', async () => {
    const nested = path.join(dir, 'a', 'b');
    const fresh = await openLowdbConfigStore(nested);

    expect(JSON.parse(fs.readFileSync(fresh.file, 'utf8'))).toEqual({
      offers: [],
      integrations: [],
      webmasters: [],
      sources: [],
      flows: [],
      drafts: [],
      users: [],
      sessions: [],
    });
    expect(path.basename(fresh.file)).toBe('config.json');
  });

  it("writes to the file even when NODE_ENV is test, where lowdb's own preset would keep data in memory", async () => {
    const saved = process.env.NODE_ENV;
    process.env.NODE_ENV = 'test';
    try {
      const other = await openLowdbConfigStore(path.join(dir, 'under-test'));
      await other.putWebmaster({ id: 'wm9' });
      expect(JSON.parse(fs.readFileSync(other.file, 'utf8')).webmasters).toEqual([{ id: 'wm9' }]);
    } finally {
      process.env.NODE_ENV = saved;
    }
  });

  it('keeps everything across a restart', async () => {
    await config.putOffer(offer);
    await config.putIntegration(integration);
    await config.putWebmaster({ id: 'wm7' });
    await config.saveFlowVersion(flow('Send', '/v1'), 'anna');
    await config.saveFlowVersion(flow('Send', '/v2'), 'anna');

    const reopened = await openLowdbConfigStore(dir);

    expect(await reopened.getOffer('slim-tea')).toEqual(offer);
    expect(await reopened.getIntegration('crm')).toEqual(integration);
    expect(await reopened.listWebmasters()).toEqual([{ id: 'wm7' }]);
    expect(await reopened.getFlowVersion('crm-send', 1)).toEqual({ ...flow('Send', '/v1'), version: 1 });
    expect((await reopened.saveFlowVersion(flow('Send', '/v3'), 'anna')).version).toBe(3);
  });

  it('written before a collection existed opens with that collection empty', async () => {
    fs.writeFileSync(config.file, JSON.stringify({ offers: [offer] }));

    const reopened = await openLowdbConfigStore(dir);

    expect(await reopened.listOffers()).toEqual([offer]);
    expect(await reopened.listFlows()).toEqual([]);
    await reopened.putWebmaster({ id: 'wm1' });
    expect(await reopened.listWebmasters()).toEqual([{ id: 'wm1' }]);
  });

  it('that is not valid JSON is refused, not overwritten', async () => {
    fs.writeFileSync(config.file, '{ "offers": [');

    await expect(openLowdbConfigStore(dir)).rejects.toThrow();
    expect(fs.readFileSync(config.file, 'utf8')).toBe('{ "offers": [');
  });

  it('a write that fails leaves the store as the file is and later writes still work', async () => {
    await config.putOffer(offer);
    fs.rmSync(dir, { recursive: true, force: true });

    await expect(config.putOffer({ ...offer, id: 'lost' })).rejects.toThrow();
    expect((await config.listOffers()).map((o) => o.id)).toEqual(['slim-tea']);

    fs.mkdirSync(dir);
    await config.putOffer({ ...offer, id: 'hair-oil' });
    expect((await config.listOffers()).map((o) => o.id)).toEqual(['slim-tea', 'hair-oil']);
    expect((await openLowdbConfigStore(dir).then((c) => c.listOffers())).map((o) => o.id)).toEqual(['slim-tea', 'hair-oil']);
  });
});

describe('drafts', () => {
  const draft = (userId: string, url: string) => ({
    flowId: 'crm-send',
    userId,
    savedBy: userId,
    savedAt: new Date().toISOString(),
    baseVersion: 1,
    doc: { ...flow('Send', url), version: 1 },
  });

  it('keeps one draft per flow per user, each replaced by its next save', async () => {
    await config.putFlowDraft(draft('anna', '/a1'));
    await config.putFlowDraft(draft('boris', '/b1'));
    await config.putFlowDraft(draft('anna', '/a2'));

    expect((await config.getFlowDraft('crm-send', 'anna'))?.doc.nodes[1].params.url).toBe('/a2');
    expect((await config.getFlowDraft('crm-send', 'boris'))?.doc.nodes[1].params.url).toBe('/b1');
    expect(await config.listFlowDrafts({ flowId: 'crm-send' })).toHaveLength(2);
    expect((await config.listFlowDrafts({ userId: 'anna' })).map((d) => d.userId)).toEqual(['anna']);
  });

  it("a version saved for a user drops that user's draft in the same write, and only theirs", async () => {
    await config.saveFlowVersion(flow('Send', '/v1'), 'anna');
    await config.putFlowDraft(draft('anna', '/a1'));
    await config.putFlowDraft(draft('boris', '/b1'));

    const saved = await config.saveFlowVersion(flow('Send', '/a1'), 'anna', { message: 'new path', dropDraftOf: 'anna' });

    expect(saved.version).toBe(2);
    expect((await config.getFlow('crm-send'))?.versions[1]).toMatchObject({ savedBy: 'anna', message: 'new path' });
    expect(await config.getFlowDraft('crm-send', 'anna')).toBeUndefined();
    expect(await config.getFlowDraft('crm-send', 'boris')).toBeDefined();
    // and they are in the file
    const reopened = await openLowdbConfigStore(dir);
    expect((await reopened.listFlowDrafts({})).map((d) => d.userId)).toEqual(['boris']);
  });

  it("deleting a flow deletes every user's draft of it", async () => {
    await config.saveFlowVersion(flow('Send', '/v1'), 'anna');
    await config.putFlowDraft(draft('anna', '/a1'));
    await config.putFlowDraft(draft('boris', '/b1'));

    expect(await config.deleteFlow('crm-send')).toBe(true);
    expect(await config.listFlowDrafts({})).toEqual([]);
    expect(await config.deleteFlowDraft('crm-send', 'anna')).toBe(false);
  });
});
