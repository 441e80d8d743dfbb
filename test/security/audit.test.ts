import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { RequestHandler } from 'express';
import { describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../core/domain/audit.ts';
import { AuditLog } from '../../runtime/services/audit.ts';
import { openSqliteLeadStore } from '../../runtime/store/sqlite.ts';
import {
  removeDataDir,
  startMockServer,
  startRuntime,
  TEST_ADMIN,
  waitFor,
  type TestRuntime,
  cleanUpAfterEach,
} from '../support/harness.ts';

const cleanups = cleanUpAfterEach();

const SECRET = 'canary-secret-7f3e9a1b55';
const NEW_SECRET = 'canary-secret-2d6c0e4a99';

/** Stands in for the session middleware: `X-Test-User: anna` signs the request in as the admin anna. */
const signIn: RequestHandler = (req, res, next) => {
  const id = req.get('x-test-user');
  if (id) res.locals.user = { id, name: `User ${id}`, role: 'admin' };
  next();
};
const as = (id: string) => ({ 'x-test-user': id });

const node = (id: string, type: string, x: number, params: Record<string, unknown> = {}) => ({ id, type, position: { x, y: 0 }, params });
const edge = (source: string, target: string) => ({ id: `${source}-${target}`, source, sourceHandle: 'out', target, targetHandle: 'in' });
const sendFlow = (wait = 'wait') => ({
  id: 'send',
  name: 'send',
  event: 'lead.new',
  nodes: [
    node('lead', 'lead-in', 0),
    node('send', 'http-request', 1, { method: 'POST', url: '{{integration.settings.base_url}}/orders' }),
    node('read', 'extract', 2, { fields: [{ key: 'eid', value: 'body.id' }] }),
    node('save', 'update-lead', 3, { stage: wait, comment: 'sent' }),
  ],
  edges: [edge('lead', 'send'), edge('send', 'read'), edge('read', 'save')],
});

async function runtime(answer: Parameters<typeof startMockServer>[0] = () => ({ body: { id: 'E-1' } })): Promise<TestRuntime> {
  const target = await startMockServer(answer);
  const started = await startRuntime({ beforeRoutes: [signIn] });
  // a test may close it early to read the files at rest
  let closing: Promise<void> | undefined;
  const t: TestRuntime = { ...started, close: () => (closing ??= started.close()) };
  cleanups.push(
    () => target.stop(),
    () => t.close(),
    () => removeDataDir(t.dataDir),
  );
  await t.api('POST', '/api/offers', { id: 'tea', name: 'Tea' });
  await t.api('POST', '/api/flows', sendFlow(), as('anna'));
  const created = await t.api(
    'POST',
    '/api/integrations',
    {
      id: 'crm',
      name: 'CRM',
      enabled: true,
      settings: { base_url: target.url },
      secrets: { api_key: SECRET },
      offers: ['tea'],
      flows: { 'lead.new': 'send' },
    },
    as('anna'),
  );
  expect(created.status).toBe(201);
  return t;
}

async function entries(t: TestRuntime, query = ''): Promise<AuditEntry[]> {
  const answer = await t.api('GET', `/api/audit${query}`);
  expect(answer.status).toBe(200);
  return answer.body.entries;
}

/** The one entry of a resource with this action. */
async function only(t: TestRuntime, resourceType: string, resourceId: string, action: string): Promise<AuditEntry> {
  const found = (await entries(t, `?resourceType=${resourceType}&resourceId=${encodeURIComponent(resourceId)}`)).filter(
    (e) => e.action === action,
  );
  expect(found).toHaveLength(1);
  return found[0];
}

const anna = { id: 'anna', name: 'User anna', role: 'admin' };
const bob = { id: 'bob', name: 'User bob', role: 'admin' };

describe('the audit log', () => {
  it('records a flow created, saved and rolled back by its version numbers and what changed, not the documents', async () => {
    const t = await runtime();
    expect(await only(t, 'flow', 'send', 'flow.create')).toMatchObject({ actor: anna, after: { version: 1, name: 'send' } });

    expect((await t.api('PUT', '/api/flows/send', sendFlow('approve'), as('bob'))).status).toBe(200);
    const saved = await only(t, 'flow', 'send', 'flow.save');
    expect(saved).toMatchObject({
      actor: bob,
      before: { version: 1 },
      after: { version: 2, changes: { nodes: { added: [], removed: [], changed: ['save'] } } },
    });
    expect(JSON.stringify(saved)).not.toContain('http-request');

    const v1 = (await t.api('GET', '/api/flows/send/versions/1')).body;
    await t.api('PUT', '/api/flows/send', v1, as('anna'));
    expect(await only(t, 'flow', 'send', 'flow.rollback')).toMatchObject({
      actor: anna,
      before: { version: 2 },
      after: { version: 3 },
      note: 'rolled back to version 1',
    });
  });

  it('records an integration created, changed and switched off with its secrets as set or changed, never their values', async () => {
    const t = await runtime();
    const token = new URL((await t.api('GET', '/api/integrations/crm')).body.postbackUrl).searchParams.get('token') as string;
    const created = await only(t, 'integration', 'crm', 'integration.create');
    expect(created).toMatchObject({
      actor: anna,
      after: { id: 'crm', enabled: true, secrets: { api_key: { set: true } }, postbackToken: '[secret]' },
    });
    expect(created.before).toBeUndefined();

    await t.api('PATCH', '/api/integrations/crm', { name: 'The CRM', secrets: { api_key: NEW_SECRET } }, as('bob'));
    expect(await only(t, 'integration', 'crm', 'integration.update')).toMatchObject({
      actor: bob,
      before: { name: 'CRM', secrets: { api_key: { set: true } } },
      after: { name: 'The CRM', secrets: { api_key: { set: true, changed: true } } },
    });
    await t.api('PATCH', '/api/integrations/crm', { enabled: false }, as('bob'));
    expect(await only(t, 'integration', 'crm', 'integration.disable')).toMatchObject({
      before: { enabled: true },
      after: { enabled: false },
    });
    const rotated = await t.api('POST', '/api/integrations/crm/postback-token/rotate', { graceMinutes: 60 }, as('anna'));
    const newToken = new URL(rotated.body.postbackUrl).searchParams.get('token') as string;
    expect(await only(t, 'integration', 'crm', 'integration.rotate-postback-token')).toMatchObject({
      actor: anna,
      before: { postbackToken: '[secret]' },
      after: { postbackToken: '[secret] (changed)', previousToken: '[secret]' },
      note: `the old token works until ${rotated.body.previousTokenUntil}`,
    });

    // neither the answers nor the SQLite file (with its write-ahead log) hold a secret value or the token
    const everything = JSON.stringify(await entries(t, '?limit=500'));
    for (const value of [SECRET, NEW_SECRET, token, newToken]) expect(everything).not.toContain(value);
    await t.close();
    const files = readdirSync(t.dataDir).filter((f) => f.startsWith('leads.sqlite'));
    expect(files).toContain('leads.sqlite');
    for (const file of files) {
      const bytes = readFileSync(path.join(t.dataDir, file)).toString('latin1');
      expect(bytes).toContain('integration.disable');
      for (const value of [SECRET, NEW_SECRET, token]) expect(bytes).not.toContain(value);
    }
  });

  it('records an offer created and changed with its fields before and after', async () => {
    const t = await runtime();
    await t.api('PUT', '/api/offers/tea', { id: 'tea', name: 'Green tea', parameters: { crm_offer_id: '7' } }, as('anna'));
    const changed = await only(t, 'offer', 'tea', 'offer.update');
    expect(changed).toMatchObject({
      actor: anna,
      before: { name: 'Tea' },
      after: { name: 'Green tea', parameters: { crm_offer_id: '7' } },
    });
    // created by the harness's own session: the admin it logs in as
    expect((await only(t, 'offer', 'tea', 'offer.create')).actor).toMatchObject({ name: TEST_ADMIN.name, role: 'admin' });
  });

  it('records a source created, its key rotated and revoked, with no key or key hash in any entry', async () => {
    const t = await runtime();
    const created = await t.api('POST', '/api/sources', { id: 'net-1', kind: 'network', offers: '*' }, as('anna'));
    expect(created.status).toBe(201);
    const rotated = await t.api('POST', '/api/sources/net-1/keys', { graceSeconds: 60 }, as('bob'));
    await t.api('DELETE', `/api/sources/net-1/keys/${created.body.keyId}`, undefined, as('bob'));
    expect((await only(t, 'source', 'net-1', 'source.create')).actor).toEqual(anna);
    expect((await only(t, 'source', 'net-1', 'key.rotate')).actor).toEqual(bob);
    expect(await only(t, 'source', 'net-1', 'key.revoke')).toMatchObject({ actor: bob });
    const all = JSON.stringify(await entries(t, '?resourceType=source'));
    for (const key of [created.body.key, rotated.body.key]) {
      expect(all).not.toContain(key);
      expect(all).not.toContain(createHash('sha256').update(key).digest('hex'));
    }
  });

  it('records a stage set by hand and a re-run, and nothing for the machine routes that changed the lead', async () => {
    const t = await runtime();
    const posted = await t.api('POST', '/api/leads', { offer: 'tea', phone: '+49 151 2345678' });
    const page = await waitFor(async () => {
      const r = await t.api('GET', `/api/leads/${posted.body.id}`);
      return r.body.lead.stage === 'wait' && r.body.executions.length > 0 && r.body;
    }, 'the lead to be delivered');
    expect(await entries(t, `?resourceType=lead`)).toEqual([]);

    await t.api('POST', `/api/leads/${posted.body.id}/stage`, { stage: 'approve', payout: 12 }, as('bob'));
    expect(await only(t, 'lead', String(posted.body.id), 'lead.stage')).toMatchObject({
      actor: bob,
      before: { stage: 'wait', statusComment: 'sent' },
      after: { stage: 'approve', payout: 12 },
    });

    const execution = page.executions[0].id as number;
    // the lead is approved: re-running its lead.new needs the confirmation
    const rerun = await t.api('POST', `/api/executions/${execution}/rerun`, { confirm: true }, as('anna'));
    expect(rerun.status).toBe(200);
    expect(await only(t, 'execution', String(execution), 'execution.rerun')).toMatchObject({
      actor: anna,
      after: { execution: rerun.body.execution.id, flow: 'send', lead: posted.body.id },
    });

    const tested = await t.api(
      'POST',
      '/api/flows/send/test',
      { integration: 'crm', lead: { offer: 'tea', phone: '+49 151 1111111' } },
      as('bob'),
    );
    expect(tested.status).toBe(200);
    expect(await only(t, 'flow', 'send', 'flow.test')).toMatchObject({
      actor: bob,
      after: { integration: 'crm', execution: tested.body.execution.id },
    });
  });

  it('records a lead queued for delivery again by hand', async () => {
    const t = await runtime(() => ({ status: 400, body: { error: 'no' } }));
    const posted = await t.api('POST', '/api/leads', { offer: 'tea', phone: '+49 151 2345678' });
    await waitFor(async () => {
      const r = await t.api('GET', `/api/leads/${posted.body.id}`);
      return r.body.deliveries[0]?.state === 'failed';
    }, 'the delivery to fail for good');
    expect((await t.api('POST', `/api/leads/${posted.body.id}/deliver`, undefined, as('bob'))).status).toBe(202);
    expect(await only(t, 'lead', String(posted.body.id), 'lead.deliver')).toMatchObject({ actor: bob });
  });

  it('filters by actor, resource and page, newest first', async () => {
    const t = await runtime();
    await t.api('PUT', '/api/offers/tea', { name: 'Tea 2' }, as('bob'));
    await t.api('DELETE', '/api/flows/send', undefined, as('bob')).then((r) => expect(r.status).toBe(409));

    const all = await entries(t);
    // first of all, made by no one: the first admin (ensured at start) and the harness's intake source
    expect(all.map((e) => e.action)).toEqual([
      'offer.update',
      'integration.create',
      'flow.create',
      'offer.create',
      'source.create',
      'user.create',
    ]);
    expect(all.map((e) => e.id)).toEqual([...all.map((e) => e.id)].sort((a, b) => b - a));
    expect((await entries(t, '?actor=bob')).map((e) => e.action)).toEqual(['offer.update']);
    expect((await entries(t, '?actor=anna')).map((e) => e.action)).toEqual(['integration.create', 'flow.create']);
    expect((await entries(t, '?actor=system')).map((e) => e.action)).toEqual(['source.create', 'user.create']);
    expect((await entries(t, '?resourceType=offer')).map((e) => e.action)).toEqual(['offer.update', 'offer.create']);
    expect((await entries(t, '?resourceType=offer&resourceId=coffee')).length).toBe(0);
    expect((await entries(t, `?before=${all[1].id}&limit=1`)).map((e) => e.action)).toEqual(['flow.create']);
    expect((await t.api('GET', '/api/audit?resourceType=planet')).body).toMatchObject({ error: 'invalid_field', field: 'resourceType' });
  });
});

describe('AuditLog.record', () => {
  it('names the actor given and replaces key hashes, password hashes and secrets wherever they appear', async () => {
    const store = openSqliteLeadStore(':memory:');
    cleanups.push(() => store.close());
    const log = new AuditLog(store);
    const carol = { id: 'u-3', name: 'Carol', role: 'integrator' } as const;
    await log.record({
      action: 'user.create',
      resourceType: 'user',
      resourceId: 'u-9',
      actor: carol,
      after: { id: 'u-9', name: 'Dan', role: 'viewer', passwordHash: 'scrypt$16384$abc$def' },
    });
    await log.record({
      action: 'key.rotate',
      resourceType: 'key',
      resourceId: 'k-1',
      actor: carol,
      before: { id: 'k-1', keyHash: 'sha256-old-hash-value', graceUntil: undefined },
      after: { id: 'k-1', keyHash: 'sha256-new-hash-value', settings: { url: 'https://x.test/?k=sha256-new-hash-value' } },
    });
    const [rotated, created] = await log.list({});
    expect(created).toMatchObject({ actor: carol, action: 'user.create', after: { name: 'Dan', passwordHash: '[secret]' } });
    expect(rotated).toMatchObject({
      before: { keyHash: '[secret]' },
      after: { keyHash: '[secret] (changed)', settings: { url: 'https://x.test/?k=[secret]' } },
    });
    expect(JSON.stringify(await log.list({}))).not.toMatch(/scrypt|hash-value/);
  });
});
