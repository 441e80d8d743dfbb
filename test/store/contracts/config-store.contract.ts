/**
 * The contract every {@link ConfigStore} keeps: offers, integrations (their secrets in clear
 * through the interface, renewed one at a time without losing another write's), routing changes
 * in one write, webmasters, sources found by a key's hash, flows with numbered versions that
 * never change, drafts one per flow per user, users and sessions — each record a copy (a caller
 * changing what it put or got changes nothing stored), and everything kept across a restart.
 *
 * Lists are compared without their order: the interface promises none.
 *
 * @example
 * defineConfigStoreContract('lowdb', async () => {
 *   const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'config-'));
 *   return { store: await openLowdbConfigStore(dir), close: async () => fs.rmSync(dir, { recursive: true }) };
 * });
 */
import { describe, expect, it } from 'vitest';
import type { Integration, Offer, Source } from '../../../core/domain/config.ts';
import type { FlowDoc, FlowDraft } from '../../../core/domain/flow.ts';
import type { ConfigStore, StoredSession, StoredUser } from '../../../runtime/store/types.ts';
import { subjects, type Factory } from './subject.ts';

export interface ConfigStoreSubject {
  store: ConfigStore;
  /** Closes this subject and opens the same data again (a restart). */
  reopen(): Promise<ConfigStoreSubject>;
  close(): Promise<void>;
}

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

const draft = (userId: string, url: string): FlowDraft => ({
  flowId: 'crm-send',
  userId,
  savedBy: userId,
  savedAt: new Date().toISOString(),
  baseVersion: 1,
  doc: { ...flow('Send', url), version: 1 },
});

const source = (id: string, hash: string, more: Partial<Source> = {}): Source => ({
  id,
  kind: 'network',
  offers: '*',
  keys: [{ id: `${id}-k1`, hash, hint: 'lfk_AbCd', created_at: '2026-12-01T10:00:00.000Z' }],
  created_at: '2026-12-01T10:00:00.000Z',
  updated_at: '2026-12-01T10:00:00.000Z',
  ...more,
});

const user = (id: string, name: string): StoredUser => ({
  id,
  name,
  role: 'integrator',
  passwordHash: 'scrypt$16384$8$1$c2FsdA$aGFzaA',
  disabled: false,
  createdAt: '2026-12-01T10:00:00.000Z',
});

const session = (idHash: string, userId: string, expiresAt: string): StoredSession => ({
  idHash,
  userId,
  createdAt: '2026-12-01T10:00:00.000Z',
  expiresAt,
});

const byId = <T extends { id: string }>(items: T[]) => [...items].sort((a, b) => a.id.localeCompare(b.id));

export function defineConfigStoreContract(name: string, factory: Factory<ConfigStoreSubject>): void {
  const opened = subjects(factory);

  describe(`${name}: the config store contract`, () => {
    describe('flows', () => {
      it('a new flow is saved as version 1 and the next as version 2, whatever version the document claims', async () => {
        const { store } = await opened.open();
        const first = await store.saveFlowVersion({ ...flow('Send', '/v1'), version: 41 }, 'anna');
        const second = await store.saveFlowVersion({ ...flow('Send', '/v2'), version: 1 }, 'boris', { message: 'new path' });
        expect(first.version).toBe(1);
        expect(second.version).toBe(2);
        const stored = (await store.getFlow('crm-send'))!;
        expect(stored.currentVersion).toBe(2);
        expect(stored.versions.map((v) => [v.version, v.savedBy, v.message])).toEqual([
          [1, 'anna', undefined],
          [2, 'boris', 'new path'],
        ]);
        expect(new Date(stored.versions[0].savedAt).toISOString()).toBe(stored.versions[0].savedAt);
        expect((await store.listFlows()).map((f) => f.id)).toEqual(['crm-send']);
      });

      it('saving version 2 leaves version 1 readable and unchanged; the flow takes its newest name and event', async () => {
        const { store } = await opened.open();
        await store.saveFlowVersion(flow('Send', '/v1'), 'anna');
        const v1 = await store.getFlowVersion('crm-send', 1);
        await store.saveFlowVersion({ ...flow('Upsell', '/v2'), event: 'lead.update' }, 'anna');
        expect(await store.getFlowVersion('crm-send', 1)).toEqual(v1);
        expect(v1).toEqual({ ...flow('Send', '/v1'), version: 1 });
        expect((await store.getFlowVersion('crm-send'))?.nodes[1].params.url).toBe('/v2');
        expect(await store.getFlow('crm-send')).toMatchObject({ name: 'Upsell', event: 'lead.update' });
      });

      it('neither the saved document nor a returned one can change a stored version', async () => {
        const { store } = await opened.open();
        const doc = flow('Send', '/v1');
        const returned = await store.saveFlowVersion(doc, 'anna');
        doc.nodes[1].params.url = '/changed-by-caller';
        returned.nodes[1].params.url = '/changed-by-returned';
        (await store.getFlowVersion('crm-send', 1))!.nodes.pop();
        (await store.getFlow('crm-send'))!.versions[0].flow.name = 'mutated';
        expect(await store.getFlowVersion('crm-send', 1)).toEqual({ ...flow('Send', '/v1'), version: 1 });
      });

      it('an unknown flow or version reads as undefined', async () => {
        const { store } = await opened.open();
        await store.saveFlowVersion(flow('Send', '/v1'), 'anna');
        expect(await store.getFlowVersion('nope')).toBeUndefined();
        expect(await store.getFlowVersion('crm-send', 2)).toBeUndefined();
        expect(await store.getFlow('nope')).toBeUndefined();
      });

      it('deleteFlow removes the flow with its versions and says whether there was one', async () => {
        const { store } = await opened.open();
        await store.saveFlowVersion(flow('Send', '/v1'), 'anna');
        expect(await store.deleteFlow('crm-send')).toBe(true);
        expect(await store.deleteFlow('crm-send')).toBe(false);
        expect(await store.listFlows()).toEqual([]);
        expect(await store.getFlowVersion('crm-send', 1)).toBeUndefined();
      });

      it('concurrent saves of one flow get distinct consecutive versions', async () => {
        const { store } = await opened.open();
        const saved = await Promise.all(Array.from({ length: 5 }, (_, i) => store.saveFlowVersion(flow('Send', `/v${i}`), 'anna')));
        expect(saved.map((f) => f.version).sort()).toEqual([1, 2, 3, 4, 5]);
        expect((await store.getFlow('crm-send'))?.versions).toHaveLength(5);
      });
    });

    describe('drafts', () => {
      it('keeps one draft per flow per user, each replaced by its next save', async () => {
        const { store } = await opened.open();
        await store.putFlowDraft(draft('anna', '/a1'));
        await store.putFlowDraft(draft('boris', '/b1'));
        await store.putFlowDraft(draft('anna', '/a2'));
        expect((await store.getFlowDraft('crm-send', 'anna'))?.doc.nodes[1].params.url).toBe('/a2');
        expect((await store.getFlowDraft('crm-send', 'boris'))?.doc.nodes[1].params.url).toBe('/b1');
        expect(await store.getFlowDraft('crm-send', 'carla')).toBeUndefined();
        expect(await store.listFlowDrafts({ flowId: 'crm-send' })).toHaveLength(2);
        expect((await store.listFlowDrafts({ userId: 'anna' })).map((d) => d.userId)).toEqual(['anna']);
        expect(await store.listFlowDrafts({ userId: 'anna', flowId: 'other' })).toEqual([]);
      });

      it("a version saved for a user drops that user's draft in the same write, and only theirs", async () => {
        const { store } = await opened.open();
        await store.saveFlowVersion(flow('Send', '/v1'), 'anna');
        await store.putFlowDraft(draft('anna', '/a1'));
        await store.putFlowDraft(draft('boris', '/b1'));
        const saved = await store.saveFlowVersion(flow('Send', '/a1'), 'anna', { message: 'new path', dropDraftOf: 'anna' });
        expect(saved.version).toBe(2);
        expect((await store.getFlow('crm-send'))?.versions[1]).toMatchObject({ savedBy: 'anna', message: 'new path' });
        expect(await store.getFlowDraft('crm-send', 'anna')).toBeUndefined();
        expect(await store.getFlowDraft('crm-send', 'boris')).toBeDefined();
      });

      it("deleting a draft: one user's, or every user's; deleting a flow deletes every user's draft of it", async () => {
        const { store } = await opened.open();
        await store.saveFlowVersion(flow('Send', '/v1'), 'anna');
        for (const who of ['anna', 'boris', 'carla']) await store.putFlowDraft(draft(who, `/${who}`));
        expect(await store.deleteFlowDraft('crm-send', 'anna')).toBe(true);
        expect(await store.deleteFlowDraft('crm-send', 'anna')).toBe(false);
        expect((await store.listFlowDrafts({})).map((d) => d.userId).sort()).toEqual(['boris', 'carla']);
        expect(await store.deleteFlowDraft('crm-send')).toBe(true);
        expect(await store.listFlowDrafts({})).toEqual([]);
        await store.putFlowDraft(draft('anna', '/again'));
        expect(await store.deleteFlow('crm-send')).toBe(true);
        expect(await store.listFlowDrafts({})).toEqual([]);
      });
    });

    describe('offers, integrations and webmasters', () => {
      it('an offer is stored, replaced by id and deleted', async () => {
        const { store } = await opened.open();
        await store.putOffer(offer);
        await store.putOffer({ ...offer, id: 'hair-oil', name: 'Hair Oil' });
        await store.putOffer({ ...offer, name: 'Slim Tea 2' });
        expect(byId(await store.listOffers()).map((o) => [o.id, o.name])).toEqual([
          ['hair-oil', 'Hair Oil'],
          ['slim-tea', 'Slim Tea 2'],
        ]);
        expect(await store.getOffer('slim-tea')).toEqual({ ...offer, name: 'Slim Tea 2' });
        expect(await store.deleteOffer('hair-oil')).toBe(true);
        expect(await store.deleteOffer('hair-oil')).toBe(false);
        expect(await store.getOffer('hair-oil')).toBeUndefined();
      });

      it("an integration reads back whole, its secrets in clear (masking them in answers is the API layer's job)", async () => {
        const { store } = await opened.open();
        await store.putIntegration(integration);
        expect(await store.getIntegration('crm')).toEqual(integration);
        expect(await store.listIntegrations()).toEqual([integration]);
        expect(await store.deleteIntegration('crm')).toBe(true);
        expect(await store.deleteIntegration('crm')).toBe(false);
        expect(await store.getIntegration('crm')).toBeUndefined();
      });

      it('a secret renewed meanwhile survives a write built from an older copy; secret changes apply, null removes', async () => {
        const { store } = await opened.open();
        await store.putIntegration(integration);
        const copy = (await store.getIntegration('crm'))!;
        expect(await store.setIntegrationSecret('crm', 'refresh_token', 'renewed')).toBe(true);
        expect(await store.setIntegrationSecret('nobody', 'refresh_token', 'x')).toBe(false);
        await store.putIntegration({ ...copy, name: 'Renamed' }, { api_key: 'k-new', hmac_secret: null });
        expect(await store.getIntegration('crm')).toEqual({
          ...integration,
          name: 'Renamed',
          secrets: { api_key: 'k-new', refresh_token: 'renewed' },
        });
        // a new integration's secrets with changes: its own, changed
        await store.putIntegration({ ...integration, id: 'new', secrets: { a: '1' } }, { b: '2' });
        expect((await store.getIntegration('new'))?.secrets).toEqual({ a: '1', b: '2' });
      });

      it('concurrent secret renewals of one integration all land', async () => {
        const { store } = await opened.open();
        await store.putIntegration(integration);
        await Promise.all(['a', 'b', 'c', 'd'].map((n) => store.setIntegrationSecret('crm', `token_${n}`, n)));
        expect((await store.getIntegration('crm'))?.secrets).toMatchObject({
          token_a: 'a',
          token_b: 'b',
          token_c: 'c',
          token_d: 'd',
          api_key: 'k-123456',
        });
      });

      it("an offer's leads are routed to the enabled integration that takes it", async () => {
        const { store } = await opened.open();
        await store.putIntegration({ ...integration, id: 'off', enabled: false });
        await store.putIntegration(integration);
        await store.putIntegration({ ...integration, id: 'other', offers: ['cream'] });
        expect((await store.findIntegrationForOffer('slim-tea'))?.id).toBe('crm');
        expect((await store.findIntegrationForOffer('cream'))?.id).toBe('other');
        expect(await store.findIntegrationForOffer('nothing')).toBeUndefined();
      });

      it('a caller changing an object it put or got does not change the store (what it got is a copy, or frozen so the change throws)', async () => {
        const { store } = await opened.open();
        const mine = structuredClone(integration);
        await store.putIntegration(mine);
        mine.secrets.api_key = 'changed';
        const got = (await store.getIntegration('crm'))!;
        const listed = (await store.listIntegrations())[0];
        // either answer is the caller's to change, or frozen: the change throws, the store keeps its record
        const tryTo = (change: () => void) => {
          try {
            change();
          } catch (error) {
            expect(error).toBeInstanceOf(TypeError);
          }
        };
        tryTo(() => got.offers.push('x'));
        tryTo(() => (listed.enabled = false));
        const myOffer = structuredClone(offer);
        await store.putOffer(myOffer);
        myOffer.products!.push({ id: 'extra' });
        expect(await store.getIntegration('crm')).toEqual(integration);
        expect(await store.getOffer('slim-tea')).toEqual(offer);
      });

      it("a routing change writes the offer, one integration and the others' offer lists at once, keeping secrets renewed meanwhile", async () => {
        const { store } = await opened.open();
        await store.putOffer(offer);
        await store.putIntegration(integration);
        await store.putIntegration({ ...integration, id: 'beta', offers: [] });
        await store.setIntegrationSecret('beta', 'refresh_token', 'renewed');
        const beta = { ...integration, id: 'beta', name: 'Beta', offers: ['slim-tea'], secrets: {} };
        await store.putRouting({
          offers: [{ ...offer, routes: { new: 'beta' } }],
          integration: { record: beta, secretChanges: {} },
          integrationOffers: { crm: [], gone: [] },
        });
        expect((await store.getOffer('slim-tea'))?.routes).toEqual({ new: 'beta' });
        expect((await store.getIntegration('crm'))?.offers).toEqual([]);
        expect((await store.getIntegration('crm'))?.secrets).toEqual(integration.secrets);
        expect(await store.getIntegration('beta')).toMatchObject({ name: 'Beta', offers: ['slim-tea'] });
        expect((await store.getIntegration('beta'))?.secrets.refresh_token).toBe('renewed');
        expect(await store.getIntegration('gone')).toBeUndefined();
        await store.putRouting({ deleteOffer: 'slim-tea', integrationOffers: { beta: [] } });
        expect(await store.listOffers()).toEqual([]);
        expect((await store.getIntegration('beta'))?.offers).toEqual([]);
      });

      it('webmasters are stored, listed and deleted', async () => {
        const { store } = await opened.open();
        await store.putWebmaster({ id: 'wm7', postbackUrl: 'https://tracker.example/pb?s={subid}&st={stage}' });
        await store.putWebmaster({ id: 'wm8' });
        expect(await store.getWebmaster('wm7')).toEqual({ id: 'wm7', postbackUrl: 'https://tracker.example/pb?s={subid}&st={stage}' });
        expect(byId(await store.listWebmasters()).map((w) => w.id)).toEqual(['wm7', 'wm8']);
        expect(await store.deleteWebmaster('wm8')).toBe(true);
        expect(await store.deleteWebmaster('wm8')).toBe(false);
        expect(await store.getWebmaster('wm8')).toBeUndefined();
      });
    });

    describe('sources', () => {
      it('are stored whole, found by the hash of one of their keys, and deleted', async () => {
        const { store } = await opened.open();
        const net = source('net', 'a'.repeat(64), { name: 'Network', webmasters: ['w1', 'w2'], offers: ['slim-tea'] });
        net.keys.push({
          id: 'net-k2',
          hash: 'b'.repeat(64),
          hint: 'lfk_EfGh',
          created_at: '2026-12-01T11:00:00.000Z',
          expires_at: '2026-12-08T11:00:00.000Z',
        });
        await store.putSource(net);
        await store.putSource(source('wm', 'c'.repeat(64), { kind: 'webmaster', webmaster: 'w9' }));
        expect(await store.getSource('net')).toEqual(net);
        expect(byId(await store.listSources()).map((s) => s.id)).toEqual(['net', 'wm']);
        expect((await store.findSourceByKeyHash('b'.repeat(64)))?.id).toBe('net');
        expect((await store.findSourceByKeyHash('c'.repeat(64)))?.id).toBe('wm');
        expect(await store.findSourceByKeyHash('d'.repeat(64))).toBeUndefined();
        await store.putSource({ ...net, keys: net.keys.slice(1) });
        expect(await store.findSourceByKeyHash('a'.repeat(64))).toBeUndefined();
        expect(await store.deleteSource('net')).toBe(true);
        expect(await store.deleteSource('net')).toBe(false);
        expect(await store.findSourceByKeyHash('b'.repeat(64))).toBeUndefined();
      });
    });

    describe('users and sessions', () => {
      it('users are stored whole and replaced by id', async () => {
        const { store } = await opened.open();
        await store.putUser(user('u-1', 'anna'));
        await store.putUser(user('u-2', 'boris'));
        await store.putUser({ ...user('u-1', 'anna'), role: 'admin', disabled: true });
        expect(await store.getUser('u-1')).toEqual({ ...user('u-1', 'anna'), role: 'admin', disabled: true });
        expect(await store.getUser('u-3')).toBeUndefined();
        expect(byId(await store.listUsers()).map((u) => u.name)).toEqual(['anna', 'boris']);
      });

      it("sessions are found by their id's hash, ended one by one, by user, or when expired", async () => {
        const { store } = await opened.open();
        await store.putSession(session('h1', 'u-1', '2026-12-02T10:00:00.000Z'));
        await store.putSession(session('h2', 'u-1', '2026-12-09T10:00:00.000Z'));
        await store.putSession(session('h3', 'u-2', '2026-12-01T11:00:00.000Z'));
        await store.putSession(session('h4', 'u-2', '2026-12-09T10:00:00.000Z'));
        expect(await store.getSession('h1')).toEqual(session('h1', 'u-1', '2026-12-02T10:00:00.000Z'));
        expect(await store.getSession('nope')).toBeUndefined();
        expect(await store.deleteSession('h4')).toBe(true);
        expect(await store.deleteSession('h4')).toBe(false);
        expect(await store.deleteSessions({ expiredBefore: '2026-12-01T12:00:00.000Z' })).toBe(1);
        expect(await store.getSession('h3')).toBeUndefined();
        expect(await store.deleteSessions({ userId: 'u-1' })).toBe(2);
        expect(await store.getSession('h2')).toBeUndefined();
        expect(await store.deleteSessions({ userId: 'u-1' })).toBe(0);
      });
    });

    describe('a restart', () => {
      it('keeps everything, secrets in clear through the interface, and flow versions go on counting', async () => {
        const first = await opened.open();
        const { store } = first;
        await store.putOffer(offer);
        await store.putIntegration(integration);
        await store.setIntegrationSecret('crm', 'refresh_token', 'renewed');
        await store.putWebmaster({ id: 'wm7' });
        await store.putSource(source('net', 'a'.repeat(64)));
        await store.saveFlowVersion(flow('Send', '/v1'), 'anna');
        await store.saveFlowVersion(flow('Send', '/v2'), 'anna');
        await store.putFlowDraft(draft('anna', '/a1'));
        await store.putUser(user('u-1', 'anna'));
        await store.putSession(session('h1', 'u-1', '2026-12-09T10:00:00.000Z'));
        const again = (await opened.reopen(first)).store;
        expect(await again.getOffer('slim-tea')).toEqual(offer);
        expect(await again.getIntegration('crm')).toEqual({
          ...integration,
          secrets: { ...integration.secrets, refresh_token: 'renewed' },
        });
        expect(await again.listWebmasters()).toEqual([{ id: 'wm7' }]);
        expect((await again.findSourceByKeyHash('a'.repeat(64)))?.id).toBe('net');
        expect(await again.getFlowVersion('crm-send', 1)).toEqual({ ...flow('Send', '/v1'), version: 1 });
        expect((await again.getFlowDraft('crm-send', 'anna'))?.doc.nodes[1].params.url).toBe('/a1');
        expect(await again.getUser('u-1')).toEqual(user('u-1', 'anna'));
        expect(await again.getSession('h1')).toBeDefined();
        expect((await again.saveFlowVersion(flow('Send', '/v3'), 'anna')).version).toBe(3);
      });
    });
  });
}
