/**
 * A continued delivery sends what the target gave it, not a mask: a first call whose answer sets a
 * session cookie and returns a token is not made again when the second call is refused for a while,
 * and the second call, retried, carries the real cookie and token. The checkpoint that makes this
 * possible is sealed in the job: neither the job row, nor the database file, nor an answer of the
 * API holds the cookie in clear.
 */
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { cleanUpAfterEach, removeDataDir, startMockServer, startRuntime, waitFor, waitForSettled } from '../support/harness.ts';

const cleanups = cleanUpAfterEach();

const SESSION = `sess${randomBytes(12).toString('hex')}`;
const TOKEN = `tok-${randomBytes(12).toString('hex')}`;

/** Session, then order: the order needs the session's cookie and token, and is refused (429) until `ready`. */
async function sessionCrm() {
  const state = { ready: false };
  const target = await startMockServer((r) => {
    if (r.path === '/session')
      return { status: 200, headers: { 'set-cookie': `sid=${SESSION}; Path=/; HttpOnly` }, body: { token: TOKEN } };
    if (r.path === '/orders') {
      if (r.headers.cookie !== `sid=${SESSION}` || r.headers['x-token'] !== TOKEN) return { status: 401, body: { error: 'no session' } };
      return state.ready ? { status: 201, body: { id: 'O-1' } } : { status: 429, body: { error: 'slow down' } };
    }
    return { status: 404, body: {} };
  });
  cleanups.push(() => target.stop());
  return { target, state };
}

const at = (x: number) => ({ x, y: 0 });
const flow = {
  id: 'crm-session-order',
  name: 'CRM: session, then order',
  event: 'lead.new',
  version: 1,
  nodes: [
    { id: 'lead', type: 'lead-in', position: at(0), params: {} },
    {
      id: 'session',
      type: 'http-request',
      position: at(200),
      params: { method: 'POST', url: '{{integration.settings.base_url}}/session' },
    },
    {
      id: 'order',
      type: 'http-request',
      position: at(400),
      params: {
        method: 'POST',
        url: '{{integration.settings.base_url}}/orders',
        headers: [
          { key: 'Cookie', value: '{{nodes.session.headers.set-cookie | split:";",0}}' },
          { key: 'X-Token', value: '{{nodes.session.body.token}}' },
        ],
        body: 'json',
        json: { ref: '{{lead.id}}' },
      },
    },
    { id: 'accepted', type: 'update-lead', position: at(600), params: { setEid: '{{nodes.order.body.id}}', stage: 'wait' } },
  ],
  edges: [
    { id: 'e1', source: 'lead', sourceHandle: 'out', target: 'session', targetHandle: 'in' },
    { id: 'e2', source: 'session', sourceHandle: 'out', target: 'order', targetHandle: 'in' },
    { id: 'e3', source: 'order', sourceHandle: 'out', target: 'accepted', targetHandle: 'in' },
  ],
};

describe('a continued delivery keeps what the target gave it, sealed', () => {
  it('the session call is not repeated, the retried order carries the real cookie and token, and nothing stored shows the cookie', async () => {
    const { target, state } = await sessionCrm();
    const t = await startRuntime({ retry: { baseMs: 100, maxMs: 300, maxAttempts: 50 } });
    cleanups.push(
      () => t.close(),
      () => removeDataDir(t.dataDir),
    );
    const ok = (r: { status: number; body: unknown }) => expect(r.status, JSON.stringify(r.body)).toBeLessThan(300);
    ok(await t.api('POST', '/api/flows', flow));
    ok(await t.api('POST', '/api/offers', { id: 'tea', name: 'Tea' }));
    ok(
      await t.api('POST', '/api/integrations', {
        id: 'crm',
        name: 'CRM',
        enabled: true,
        settings: { base_url: target.url },
        secrets: {},
        offers: ['tea'],
        flows: { 'lead.new': flow.id },
      }),
    );
    const id = (await t.api('POST', '/api/leads', { offer: 'tea', name: 'Anna', phone: '+49 151 7000001' })).body.id as number;
    await waitFor(() => target.received.filter((r) => r.path === '/orders').length >= 2, 'the order refused and tried again', 10_000);

    // the job keeps its checkpoint sealed: the row holds neither the cookie nor the token
    const db = new Database(path.join(t.dataDir, 'leads.sqlite'), { readonly: true });
    cleanups.push(() => void db.close());
    const row = db.prepare("SELECT payload FROM jobs WHERE lead_id = ? AND kind = 'lead.new'").get(id) as { payload: string };
    expect(JSON.parse(row.payload).resume).toMatch(/^enc:v1:[0-9a-f]{8}:/);
    expect(row.payload).not.toContain(SESSION);
    expect(row.payload).not.toContain(TOKEN);
    // nor does any byte of the database (its records mask the cookie as a learnt value)
    for (const file of ['leads.sqlite', 'leads.sqlite-wal'].map((f) => path.join(t.dataDir, f)).filter(existsSync)) {
      expect(readFileSync(file).includes(SESSION), file).toBe(false);
    }
    // the lead's answer says a checkpoint is there, and gives nothing of it
    const view = await t.api('GET', `/api/leads/${id}`);
    expect(view.body.deliveries[0].payload.resume).toBe('[secret]');
    expect(JSON.stringify(view.body)).not.toContain(SESSION);

    state.ready = true;
    // the continued run's execution and the job's end come after the stage
    await waitForSettled(t, id, 'wait', 10_000);
    expect(target.received.filter((r) => r.path === '/session')).toHaveLength(1);
    const orders = target.received.filter((r) => r.path === '/orders');
    expect(orders.length).toBeGreaterThanOrEqual(3);
    for (const order of orders) expect(order.headers).toMatchObject({ cookie: `sid=${SESSION}`, 'x-token': TOKEN });
    expect((await t.api('GET', `/api/leads/${id}`)).body.lead.eid).toBe('O-1');

    // the continued run's record lists the session kept and masks its cookie, as the first run's did
    const listed = (await t.api('GET', `/api/executions?lead=${id}`)).body;
    const list = (listed.executions ?? listed.items ?? listed) as { id: number }[];
    const last = (await t.api('GET', `/api/executions/${Math.max(...list.map((e) => e.id))}`)).body;
    const execution = last.execution ?? last;
    expect(execution.steps.map((s: { nodeId: string }) => s.nodeId)).toEqual(['lead', 'session', 'order', 'accepted']);
    expect(execution.steps[1]).toMatchObject({ nodeId: 'session', attempts: 0, http: [] });
    for (const e of list) expect(JSON.stringify((await t.api('GET', `/api/executions/${e.id}`)).body)).not.toContain(SESSION);
    // done: the job no longer keeps a checkpoint
    const done = db.prepare("SELECT state, payload FROM jobs WHERE lead_id = ? AND kind = 'lead.new'").get(id) as {
      state: string;
      payload: string;
    };
    expect(done.state).toBe('done');
    expect(JSON.parse(done.payload).resume).toBeUndefined();
  }, 30_000);
});
