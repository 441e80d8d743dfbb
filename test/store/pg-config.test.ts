/**
 * The configuration store on PostgreSQL, through its public methods only: the behaviour every
 * backend shares runs against the embedded store too (so it can move into the shared contract
 * suite as it is), then what only a database shared by several runtimes has to show — secrets
 * sealed in the rows, version numbers under concurrent saves from two pools, and one store hearing
 * another's writes.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import type { Integration, Offer, Source } from '../../core/domain/config.ts';
import type { FlowDoc } from '../../core/domain/flow.ts';
import type { ConfigChange, ConfigStore, FlowDraft, StoredUser } from '../../runtime/store/types.ts';
import { openLowdbConfigStore } from '../../runtime/store/lowdb.ts';
import { PgConfigStore } from '../../runtime/store/pg/config.ts';
import { LISTENER_APPLICATION_NAME } from '../../runtime/store/pg/config-listener.ts';
import { CONFIG_MIGRATIONS } from '../../runtime/store/pg/schema-config.ts';
import { secretKeyOf } from '../../runtime/store/secret-box.ts';
import { freshDatabase, testPool } from '../support/postgres.ts';

const key = secretKeyOf(randomBytes(32), 'the test key');

/** Until the migration runner is merged: the configuration steps in order, each in a transaction. */
async function migrateConfig(pool: pg.Pool): Promise<void> {
  for (const step of [...CONFIG_MIGRATIONS].sort((a, b) => a.version - b.version)) {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(step.sql);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK');
      throw error;
    } finally {
      client.release();
    }
  }
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A fresh database with the configuration schema; `pool()` opens another pool on it (another runtime). */
async function database(): Promise<{ url: string; pool(): pg.Pool }> {
  const db = await freshDatabase();
  cleanups.push(() => db.drop());
  const pool = () => {
    const opened = testPool({ connectionString: db.url, max: 4 });
    cleanups.push(() => opened.end());
    return opened;
  };
  const first = pool();
  await migrateConfig(first);
  return { url: db.url, pool: () => pool() };
}

function pgStore(pool: pg.Pool): PgConfigStore {
  const store = new PgConfigStore(pool, key);
  cleanups.push(() => store.close());
  return store;
}

const backends: [string, () => Promise<ConfigStore>][] = [
  ['PostgreSQL', async () => pgStore((await database()).pool())],
  [
    'the embedded store',
    async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leadflow-config-'));
      cleanups.push(async () => fs.rmSync(dir, { recursive: true, force: true }));
      return openLowdbConfigStore(dir, key);
    },
  ],
];

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
  secrets: { api_key: 'k-123456', hmac_secret: 's3cr3t-value' },
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
    // keys in an order jsonb would not keep: the body goes to the target as the user wrote it
    { id: 'http', type: 'http-request', position: { x: 250, y: 0 }, params: { url, method: 'POST', body: { zz: 1, a: 2 } } },
  ],
  edges: [{ id: 'e1', source: 'lead', sourceHandle: 'out', target: 'http', targetHandle: 'in' }],
});

const source: Source = {
  id: 'wm7-source',
  name: 'Webmaster 7',
  kind: 'webmaster',
  webmaster: 'wm7',
  offers: ['slim-tea'],
  keys: [
    { id: 'k1', hash: 'a'.repeat(64), hint: 'lfk_AbCd', created_at: '2026-12-01T10:00:00.000Z' },
    { id: 'k2', hash: 'b'.repeat(64), hint: 'lfk_EfGh', created_at: '2026-12-01T11:00:00.000Z', expires_at: '2026-12-02T11:00:00.000Z' },
  ],
  created_at: '2026-12-01T10:00:00.000Z',
  updated_at: '2026-12-01T11:00:00.000Z',
};

const user: StoredUser = {
  id: 'u-1',
  name: 'anna',
  role: 'integrator',
  passwordHash: 'scrypt$16384$8$1$c2FsdA$aGFzaA',
  disabled: false,
  createdAt: '2026-12-01T09:00:00.000Z',
};

const draft = (userId: string, url: string): FlowDraft => ({
  flowId: 'crm-send',
  userId,
  savedBy: userId,
  savedAt: '2026-12-01T14:02:00.000Z',
  baseVersion: 1,
  doc: { ...flow('Send', url), version: 1 },
});

/** Resolves with the first change `match` accepts, or rejects after `ms`. */
function nextChange(config: ConfigStore, match: (change: ConfigChange) => boolean, ms = 1000): Promise<ConfigChange> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`no matching change within ${ms} ms`));
    }, ms);
    const stop = config.onChange!((change) => {
      if (!match(change)) return;
      clearTimeout(timer);
      stop();
      resolve(change);
    });
  });
}

describe.each(backends)('the configuration store on %s', (_name, open) => {
  it('stores offers, webmasters and users whole, replaces them by id in place and deletes them', async () => {
    const config = await open();
    await config.putOffer(offer);
    await config.putOffer({ ...offer, id: 'hair-oil', name: 'Hair Oil' });
    await config.putOffer({ ...offer, name: 'Slim Tea 2' });
    await config.putWebmaster({
      id: 'wm7',
      postbackUrl: 'https://tracker.example/pb?s={subid}',
      streamPostbackUrls: { s1: 'https://x/{id}' },
    });
    await config.putWebmaster({ id: 'wm8' });
    await config.putUser(user);
    await config.putUser({ ...user, id: 'u-2', name: 'boris', role: 'viewer' });
    await config.putUser({ ...user, disabled: true });

    expect((await config.listOffers()).map((o) => [o.id, o.name])).toEqual([
      ['slim-tea', 'Slim Tea 2'],
      ['hair-oil', 'Hair Oil'],
    ]);
    expect(await config.getOffer('hair-oil')).toEqual({ ...offer, id: 'hair-oil', name: 'Hair Oil' });
    expect(Object.keys((await config.getOffer('slim-tea'))!.parameters)).toEqual(['crm_offer_id', 'crm_offer_id-de']);
    expect(await config.deleteOffer('hair-oil')).toBe(true);
    expect(await config.deleteOffer('hair-oil')).toBe(false);
    expect(await config.getOffer('hair-oil')).toBeUndefined();

    expect(await config.getWebmaster('wm7')).toEqual({
      id: 'wm7',
      postbackUrl: 'https://tracker.example/pb?s={subid}',
      streamPostbackUrls: { s1: 'https://x/{id}' },
    });
    expect((await config.listWebmasters()).map((w) => w.id)).toEqual(['wm7', 'wm8']);
    expect(await config.deleteWebmaster('wm8')).toBe(true);
    expect(await config.deleteWebmaster('wm8')).toBe(false);

    expect(await config.getUser('u-1')).toEqual({ ...user, disabled: true });
    expect((await config.listUsers()).map((u) => u.name)).toEqual(['anna', 'boris']);
    expect(await config.getUser('nobody')).toBeUndefined();
  });

  it('an integration comes back with its secrets in clear, and a secret set alone keeps the others', async () => {
    const config = await open();
    await config.putIntegration(integration);

    expect(await config.getIntegration('crm')).toEqual(integration);
    expect(await config.setIntegrationSecret('crm', 'refresh_token', 'r-2')).toBe(true);
    expect(await config.setIntegrationSecret('nope', 'refresh_token', 'r-2')).toBe(false);
    expect((await config.getIntegration('crm'))?.secrets).toEqual({ ...integration.secrets, refresh_token: 'r-2' });

    // an edit built from a copy read before the renewal does not take it back
    await config.putIntegration({ ...integration, name: 'Renamed' }, { api_key: 'k-new', hmac_secret: null });
    expect(await config.getIntegration('crm')).toMatchObject({ name: 'Renamed', secrets: { api_key: 'k-new', refresh_token: 'r-2' } });
    expect(await config.deleteIntegration('crm')).toBe(true);
    expect(await config.deleteIntegration('crm')).toBe(false);
    expect(await config.listIntegrations()).toEqual([]);
  });

  it("routes an offer's leads to the first enabled integration that takes it", async () => {
    const config = await open();
    await config.putIntegration({ ...integration, id: 'off', enabled: false });
    await config.putIntegration(integration);
    await config.putIntegration({ ...integration, id: 'second' });
    await config.putIntegration({ ...integration, id: 'other', offers: ['cream'] });

    expect((await config.findIntegrationForOffer('slim-tea'))?.id).toBe('crm');
    expect((await config.findIntegrationForOffer('cream'))?.id).toBe('other');
    expect((await config.findIntegrationForOffer('cream'))?.secrets).toEqual(integration.secrets);
    expect(await config.findIntegrationForOffer('nothing')).toBeUndefined();
  });

  it('a routing change writes the offer, one integration and the others’ offer lists at once, keeping secrets renewed meanwhile', async () => {
    const config = await open();
    await config.putOffer(offer);
    await config.putIntegration(integration);
    await config.putIntegration({ ...integration, id: 'beta', offers: [] });
    await config.setIntegrationSecret('beta', 'refresh_token', 'renewed');

    await config.putRouting({
      offers: [{ ...offer, routes: { new: 'beta' } }],
      integration: { record: { ...integration, id: 'beta', name: 'Beta', offers: ['slim-tea'], secrets: {} }, secretChanges: {} },
      integrationOffers: { crm: [], gone: [] },
    });

    expect((await config.getOffer('slim-tea'))?.routes).toEqual({ new: 'beta' });
    expect(await config.getIntegration('crm')).toEqual({ ...integration, offers: [] });
    expect(await config.getIntegration('beta')).toMatchObject({ name: 'Beta', offers: ['slim-tea'] });
    expect((await config.getIntegration('beta'))?.secrets.refresh_token).toBe('renewed');
    expect(await config.getIntegration('gone')).toBeUndefined();
    expect((await config.findIntegrationForOffer('slim-tea'))?.id).toBe('beta');

    await config.putRouting({ deleteOffer: 'slim-tea', integrationOffers: { beta: [] } });
    expect(await config.listOffers()).toEqual([]);
    expect((await config.getIntegration('beta'))?.offers).toEqual([]);
  });

  it('a routing change that fails part-way writes nothing of it', async () => {
    const config = await open();
    await config.putOffer(offer);
    await config.putIntegration(integration);
    // a value JSON cannot hold: the write fails after the offer's deletion and the first offer
    const unwritable = { ...offer, id: 'bad', parameters: { n: 1n as unknown as string } };

    await expect(
      config.putRouting({
        deleteOffer: 'slim-tea',
        offers: [{ ...offer, id: 'hair-oil' }, unwritable],
        integrationOffers: { crm: [] },
      }),
    ).rejects.toThrow();

    expect(await config.listOffers()).toEqual([offer]);
    expect(await config.getIntegration('crm')).toEqual(integration);
  });

  it('stores sources whole and finds one by the hash of any of its keys, expired or not', async () => {
    const config = await open();
    await config.putSource(source);
    await config.putSource({ ...source, id: 'network', kind: 'network', webmaster: undefined, offers: '*', keys: [] });

    expect(await config.getSource('wm7-source')).toEqual(source);
    expect((await config.findSourceByKeyHash('b'.repeat(64)))?.id).toBe('wm7-source');
    expect(await config.findSourceByKeyHash('c'.repeat(64))).toBeUndefined();
    expect((await config.listSources()).map((s) => [s.id, s.offers])).toEqual([
      ['wm7-source', ['slim-tea']],
      ['network', '*'],
    ]);

    // a key revoked is not found any more; a new one is
    await config.putSource({ ...source, keys: [{ ...source.keys[0], id: 'k3', hash: 'c'.repeat(64) }] });
    expect(await config.findSourceByKeyHash('b'.repeat(64))).toBeUndefined();
    expect((await config.findSourceByKeyHash('c'.repeat(64)))?.id).toBe('wm7-source');
    expect(await config.deleteSource('wm7-source')).toBe(true);
    expect(await config.deleteSource('wm7-source')).toBe(false);
    expect(await config.findSourceByKeyHash('c'.repeat(64))).toBeUndefined();
  });

  it('saves a new flow as version 1 and the next as version 2, whatever version the document claims, keeping version 1 as it was', async () => {
    const config = await open();
    const first = await config.saveFlowVersion({ ...flow('Send', '/v1'), version: 41 }, 'anna');
    const second = await config.saveFlowVersion({ ...flow('Upsell', '/v2'), event: 'lead.update', version: 1 }, 'boris', {
      message: 'the upsell',
    });

    expect([first.version, second.version]).toEqual([1, 2]);
    expect(await config.getFlowVersion('crm-send', 1)).toEqual({ ...flow('Send', '/v1'), version: 1 });
    expect(await config.getFlowVersion('crm-send')).toEqual(second);
    expect(Object.keys((await config.getFlowVersion('crm-send'))!.nodes[1].params.body as object)).toEqual(['zz', 'a']);
    const stored = (await config.getFlow('crm-send'))!;
    expect(stored).toMatchObject({ id: 'crm-send', name: 'Upsell', event: 'lead.update', currentVersion: 2 });
    expect(stored.versions.map((v) => [v.version, v.savedBy, v.message])).toEqual([
      [1, 'anna', undefined],
      [2, 'boris', 'the upsell'],
    ]);
    expect(new Date(stored.versions[0].savedAt).toISOString()).toBe(stored.versions[0].savedAt);
    expect(stored.versions[0]).not.toHaveProperty('message');
    expect((await config.listFlows()).map((f) => [f.id, f.currentVersion, f.versions.length])).toEqual([['crm-send', 2, 2]]);

    expect(await config.getFlowVersion('crm-send', 3)).toBeUndefined();
    expect(await config.getFlowVersion('nope')).toBeUndefined();
    expect(await config.getFlow('nope')).toBeUndefined();
  });

  it('concurrent saves of one flow get distinct consecutive versions', async () => {
    const config = await open();
    const saved = await Promise.all(Array.from({ length: 5 }, (_, i) => config.saveFlowVersion(flow('Send', `/v${i}`), 'anna')));

    expect(saved.map((f) => f.version).sort()).toEqual([1, 2, 3, 4, 5]);
    expect((await config.getFlow('crm-send'))?.versions.map((v) => v.version)).toEqual([1, 2, 3, 4, 5]);
  });

  it('keeps one draft per flow per user; a version saved for a user drops their draft only; deleting the flow drops every draft', async () => {
    const config = await open();
    await config.saveFlowVersion(flow('Send', '/v1'), 'anna');
    await config.putFlowDraft(draft('anna', '/a1'));
    await config.putFlowDraft(draft('boris', '/b1'));
    await config.putFlowDraft(draft('anna', '/a2'));
    await config.putFlowDraft({ ...draft('anna', '/n1'), flowId: 'never-published', baseVersion: 0 });

    expect(await config.getFlowDraft('crm-send', 'anna')).toEqual(draft('anna', '/a2'));
    expect((await config.listFlowDrafts({ flowId: 'crm-send' })).map((d) => d.userId)).toEqual(['anna', 'boris']);
    expect((await config.listFlowDrafts({ userId: 'anna' })).map((d) => d.flowId)).toEqual(['crm-send', 'never-published']);
    expect(await config.listFlowDrafts({})).toHaveLength(3);

    const saved = await config.saveFlowVersion(flow('Send', '/a2'), 'anna', { message: 'new path', dropDraftOf: 'anna' });
    expect(saved.version).toBe(2);
    expect(await config.getFlowDraft('crm-send', 'anna')).toBeUndefined();
    expect(await config.getFlowDraft('crm-send', 'boris')).toBeDefined();

    expect(await config.deleteFlowDraft('never-published', 'boris')).toBe(false);
    expect(await config.deleteFlowDraft('never-published')).toBe(true);
    expect(await config.deleteFlow('crm-send')).toBe(true);
    expect(await config.deleteFlow('crm-send')).toBe(false);
    expect(await config.listFlows()).toEqual([]);
    expect(await config.listFlowDrafts({})).toEqual([]);
    // a flow saved again after its deletion starts over at version 1
    expect((await config.saveFlowVersion(flow('Send', '/v1'), 'anna')).version).toBe(1);
  });

  it("keeps sessions by their id's hash and ends one, a user's, or the expired ones", async () => {
    const config = await open();
    const session = (idHash: string, userId: string, expiresAt: string) => ({
      idHash,
      userId,
      createdAt: '2026-12-01T09:00:00.000Z',
      expiresAt,
    });
    await config.putSession(session('h1', 'u-1', '2026-12-02T09:00:00.000Z'));
    await config.putSession(session('h2', 'u-1', '2026-12-03T09:00:00.000Z'));
    await config.putSession(session('h3', 'u-2', '2026-12-01T10:00:00.000Z'));
    await config.putSession(session('h4', 'u-2', '2026-12-05T09:00:00.000Z'));

    expect(await config.getSession('h1')).toEqual(session('h1', 'u-1', '2026-12-02T09:00:00.000Z'));
    expect(await config.deleteSession('h1')).toBe(true);
    expect(await config.deleteSession('h1')).toBe(false);
    expect(await config.getSession('h1')).toBeUndefined();

    expect(await config.deleteSessions({})).toBe(0);
    expect(await config.deleteSessions({ expiredBefore: '2026-12-01T12:00:00.000Z' })).toBe(1);
    expect(await config.getSession('h3')).toBeUndefined();
    expect(await config.deleteSessions({ userId: 'u-1' })).toBe(1);
    expect(await config.getSession('h2')).toBeUndefined();
    expect(await config.getSession('h4')).toBeDefined();
  });

  it('tells its listeners of every write it commits, by kind and id, until they stop', async () => {
    const config = await open();
    const heard: ConfigChange[] = [];
    const stop = config.onChange!((change) => heard.push(change));
    await (config as { listening?: () => Promise<void> }).listening?.();

    await config.saveFlowVersion(flow('Send', '/v1'), 'anna');
    await config.putIntegration(integration);
    await config.putSource(source);
    const wanted = [
      { kind: 'flow', id: 'crm-send' },
      { kind: 'integration', id: 'crm' },
      { kind: 'source', id: 'wm7-source' },
    ];
    await expect.poll(() => heard, { timeout: 1000 }).toEqual(wanted);

    stop();
    await config.putOffer(offer);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(heard).toEqual(wanted);
  });
});

describe('the configuration store on PostgreSQL, shared by several runtimes', () => {
  it("seals every secret in the integration's row: the table holds no secret in clear", async () => {
    const db = await database();
    const pool = db.pool();
    const config = pgStore(pool);
    await config.putIntegration(integration);
    await config.setIntegrationSecret('crm', 'refresh_token', 'r-fresh-token');
    await config.putRouting({ integrationOffers: { crm: [] } });

    const { rows } = await pool.query<{ text: string; doc: Integration }>('SELECT doc::text AS text, doc FROM integrations');
    for (const secret of ['k-123456', 's3cr3t-value', 'r-fresh-token']) expect(rows[0].text).not.toContain(secret);
    for (const value of Object.values(rows[0].doc.secrets)) expect(value).toMatch(/^enc:v1:[0-9a-f]{8}:/);
    expect((await config.getIntegration('crm'))?.secrets).toEqual({ ...integration.secrets, refresh_token: 'r-fresh-token' });
  });

  it('refuses to open over secrets sealed under another key, instead of answering garbage', async () => {
    const db = await database();
    await pgStore(db.pool()).putIntegration(integration);
    const other = secretKeyOf(randomBytes(32), 'another key');

    await expect(PgConfigStore.open(db.pool(), other)).rejects.toThrow(
      `sealed with key ${key.id}, but the key in use (another key) is ${other.id}`,
    );
    await expect(new PgConfigStore(db.pool(), other).getIntegration('crm')).rejects.toThrow(/sealed with key/);
    expect(await (await PgConfigStore.open(db.pool(), key)).getIntegration('crm')).toEqual(integration);
  });

  it('two runtimes saving one flow at once get distinct consecutive versions, each save whole', async () => {
    const db = await database();
    const [one, two] = [pgStore(db.pool()), pgStore(db.pool())];

    const saved = await Promise.all(
      Array.from({ length: 10 }, (_, i) => (i % 2 ? one : two).saveFlowVersion(flow('Send', `/v${i}`), i % 2 ? 'anna' : 'boris')),
    );

    expect(saved.map((f) => f.version).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const stored = (await one.getFlow('crm-send'))!;
    expect(stored.currentVersion).toBe(10);
    for (const version of saved) expect(stored.versions[version.version - 1].flow).toEqual(version);
  });

  it("a flow saved through one runtime is heard by another's store within a second, and read there at its new version", async () => {
    const db = await database();
    const [writer, reader] = [pgStore(db.pool()), pgStore(db.pool())];
    await writer.saveFlowVersion(flow('Send', '/v1'), 'anna');
    const heard = nextChange(reader, (change) => change.kind === 'flow');
    await reader.listening();

    const started = Date.now();
    const saved = await writer.saveFlowVersion(flow('Send', '/v2'), 'anna');

    expect(await heard).toEqual({ kind: 'flow', id: 'crm-send' });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(await reader.getFlowVersion('crm-send')).toEqual(saved);
  });

  it("an integration's change, a routing change and a source's new key are heard by the other runtime too", async () => {
    const db = await database();
    const [writer, reader] = [pgStore(db.pool()), pgStore(db.pool())];
    const heard: ConfigChange[] = [];
    reader.onChange((change) => heard.push(change));
    await reader.listening();

    await writer.putIntegration(integration);
    await writer.putRouting({ offers: [offer], integrationOffers: { crm: ['slim-tea', 'cream'] } });
    await writer.putSource(source);

    await expect
      .poll(() => heard, { timeout: 1000 })
      .toEqual([
        { kind: 'integration', id: 'crm' },
        { kind: 'offer', id: 'slim-tea' },
        { kind: 'integration', id: 'crm' },
        { kind: 'source', id: 'wm7-source' },
      ]);
  });

  it('a write rolled back is never heard', async () => {
    const db = await database();
    const [writer, reader] = [pgStore(db.pool()), pgStore(db.pool())];
    const heard: ConfigChange[] = [];
    reader.onChange((change) => heard.push(change));
    await reader.listening();

    await expect(
      writer.putRouting({ offers: [offer, { ...offer, id: 'bad', parameters: { n: 1n as unknown as string } }] }),
    ).rejects.toThrow();
    await writer.putWebmaster({ id: 'wm7' });

    await expect.poll(() => heard, { timeout: 1000 }).toEqual([{ kind: 'webmaster', id: 'wm7' }]);
  });

  it('after its connection is cut, the listener connects again and reports that everything may have changed', async () => {
    const db = await database();
    const admin = db.pool();
    const [writer, reader] = [pgStore(db.pool()), pgStore(db.pool())];
    const heard: ConfigChange[] = [];
    reader.onChange((change) => heard.push(change));
    await reader.listening();

    await admin.query(
      'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1',
      [LISTENER_APPLICATION_NAME],
    );
    await expect.poll(() => heard, { timeout: 3000 }).toEqual([{ kind: 'all', id: '*' }]);
    await reader.listening();

    await writer.saveFlowVersion(flow('Send', '/v1'), 'anna');
    await expect
      .poll(() => heard, { timeout: 1000 })
      .toEqual([
        { kind: 'all', id: '*' },
        { kind: 'flow', id: 'crm-send' },
      ]);
  });

  it('holds no listening connection while nobody listens', async () => {
    const db = await database();
    const admin = db.pool();
    const config = pgStore(db.pool());
    const listeners = async () =>
      (
        await admin.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1', [
          LISTENER_APPLICATION_NAME,
        ])
      ).rows[0].n;

    const stop = config.onChange(() => {});
    await config.listening();
    expect(await listeners()).toBe(1);
    stop();
    await expect.poll(listeners, { timeout: 2000 }).toBe(0);
  });
});
