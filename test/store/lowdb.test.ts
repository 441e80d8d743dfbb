/**
 * What only the lowdb config store has: its file (created, sealed, read when older, refused when
 * broken, written under NODE_ENV=test) and its lists' order. Its behaviour through the interface is
 * the config store contract's (test/store/embedded.contract.test.ts).
 */
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

describe('secrets', () => {
  it("an integration's secrets come back in clear but are sealed in the file", async () => {
    await config.putIntegration(integration);

    expect(await config.getIntegration('crm')).toEqual(integration);
    const file = fs.readFileSync(config.file, 'utf8');
    expect(file).not.toContain('s3cr3t');
    expect(JSON.parse(file).integrations[0].secrets.hmac_secret).toMatch(/^enc:v1:[0-9a-f]{8}:/);
  });
});

describe('lists', () => {
  it('keep the order records were first stored in, a replaced record in its place', async () => {
    await config.putOffer(offer);
    await config.putOffer({ ...offer, id: 'hair-oil', name: 'Hair Oil' });
    await config.putOffer({ ...offer, name: 'Slim Tea 2' });
    expect((await config.listOffers()).map((o) => [o.id, o.name])).toEqual([
      ['slim-tea', 'Slim Tea 2'],
      ['hair-oil', 'Hair Oil'],
    ]);
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

describe('the lookups every lead makes', () => {
  it('hand out the stored record read-only: writing to it throws and the store keeps its state', async () => {
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
});
