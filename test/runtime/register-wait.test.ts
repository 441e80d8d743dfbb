/**
 * Waiting for a target that is not ready yet (HTTP Request's "repeat until"): a synchronous
 * registration waits on a timer and answers its caller with what the target finally gave; a queued
 * delivery ends its run and continues later at the waiting node, holding no queue worker meanwhile.
 */
import { describe, expect, it } from 'vitest';
import {
  removeDataDir,
  startMockServer,
  startRuntime,
  waitFor,
  waitForSettled,
  type Received,
  cleanUpAfterEach,
} from '../support/harness.ts';

const cleanups = cleanUpAfterEach();

/** A platform whose registration answers an id at once and the autologin URL only `readyAfterMs` later (202 pending before). */
async function slowPlatform(readyAfterMs: number) {
  const registered = new Map<string, number>();
  const target = await startMockServer((r: Received) => {
    if (r.method === 'POST' && r.path === '/register') {
      const id = `U-${registered.size + 1}`;
      registered.set(id, r.at);
      return { status: 201, body: { user_id: id } };
    }
    const login = /^\/autologin\/(U-\d+)$/.exec(r.path);
    if (login && registered.has(login[1])) {
      if (r.at - (registered.get(login[1]) as number) < readyAfterMs) return { status: 202, body: { status: 'pending' } };
      return { status: 200, body: { status: 'ready', url: `https://platform.test/auto/${login[1]}?token=t0k3n-${login[1]}` } };
    }
    return { status: 404, body: { error: 'unknown' } };
  });
  cleanups.push(() => target.stop());
  return target;
}

const at = (x: number) => ({ x, y: 0 });

/** Registers, asks for the autologin URL until it is ready, keeps the user id; for lead.register it answers the URL. */
function registerFlow(id: string, event: 'lead.register' | 'lead.new') {
  return {
    id,
    name: 'Register, then wait for the autologin URL',
    event,
    version: 1,
    nodes: [
      { id: 'lead', type: 'lead-in', position: at(0), params: {} },
      {
        id: 'register',
        type: 'http-request',
        position: at(200),
        params: { method: 'POST', url: '{{integration.settings.base_url}}/register', body: 'json', json: { email: '{{lead.email}}' } },
      },
      {
        id: 'autologin',
        type: 'http-request',
        position: at(400),
        params: {
          method: 'GET',
          url: '{{integration.settings.base_url}}/autologin/{{nodes.register.body.user_id}}',
          repeatUntil: 'field',
          readyField: 'body.status',
          readyValue: 'ready',
          repeatEveryMs: 250,
          repeatForMs: 10000,
          whenNotReady: 'fail',
        },
      },
      {
        id: 'save',
        type: 'update-lead',
        position: at(600),
        params: { setEid: '{{nodes.register.body.user_id}}', stage: 'wait', comment: '{{nodes.autologin.body.url}}' },
      },
      ...(event === 'lead.register'
        ? [
            {
              id: 'answer',
              type: 'respond',
              position: at(800),
              params: { status: 201, body: { autologin_url: '{{nodes.autologin.body.url}}' } },
            },
          ]
        : []),
    ],
    edges: [
      { id: 'e1', source: 'lead', sourceHandle: 'out', target: 'register', targetHandle: 'in' },
      { id: 'e2', source: 'register', sourceHandle: 'out', target: 'autologin', targetHandle: 'in' },
      { id: 'e3', source: 'autologin', sourceHandle: 'out', target: 'save', targetHandle: 'in' },
      ...(event === 'lead.register' ? [{ id: 'e4', source: 'save', sourceHandle: 'out', target: 'answer', targetHandle: 'in' }] : []),
    ],
  };
}

async function runtime(options: { workers?: number } = {}) {
  const t = await startRuntime(options);
  cleanups.push(
    () => t.close(),
    () => removeDataDir(t.dataDir),
  );
  return t;
}

async function ok(answer: Promise<{ status: number; body: unknown }>) {
  const r = await answer;
  if (r.status >= 300) throw new Error(`setup failed: ${r.status} ${JSON.stringify(r.body)}`);
}

describe('a synchronous registration waits for its target', () => {
  it('a registration ready after 1.5 s is answered to the waiting caller with the real autologin URL', async () => {
    const platform = await slowPlatform(1500);
    const t = await runtime();
    await ok(t.api('POST', '/api/flows', registerFlow('register-wait', 'lead.register')));
    await ok(t.api('POST', '/api/offers', { id: 'fx', name: 'FX' }));
    await ok(
      t.api('POST', '/api/integrations', {
        id: 'platform',
        name: 'Platform',
        enabled: true,
        settings: { base_url: platform.url },
        offers: ['fx'],
        flows: { 'lead.register': 'register-wait' },
      }),
    );
    const started = Date.now();
    const answer = await t.api('POST', '/api/leads', { offer: 'fx', email: 'ann@example.org' });
    expect(answer.status).toBe(201);
    expect(answer.body).toEqual({ autologin_url: 'https://platform.test/auto/U-1?token=t0k3n-U-1' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1500);
    expect(platform.received.filter((r) => r.path === '/register')).toHaveLength(1);
    expect(platform.received.filter((r) => r.path === '/autologin/U-1').length).toBeGreaterThanOrEqual(3);
    const leads = (await t.api('GET', '/api/leads')).body.leads as { eid?: string; stage: string }[];
    expect(leads[0]).toMatchObject({ eid: 'U-1', stage: 'wait' });
  });
});

describe('a queued delivery waits as a scheduled continuation', () => {
  it('does not hold a queue worker while its target is not ready, and continues at the waiting call', async () => {
    const platform = await slowPlatform(2000);
    const quick = await startMockServer(() => ({ status: 201, body: { id: 'Q-1' } }));
    cleanups.push(() => quick.stop());
    // one worker for every delivery: a wait that held it would hold the other integration's lead too
    const t = await runtime({ workers: 1 });
    await ok(t.api('POST', '/api/flows', registerFlow('deliver-wait', 'lead.new')));
    await ok(
      t.api('POST', '/api/flows', {
        id: 'quick-send',
        name: 'Quick CRM',
        event: 'lead.new',
        version: 1,
        nodes: [
          { id: 'lead', type: 'lead-in', position: at(0), params: {} },
          {
            id: 'send',
            type: 'http-request',
            position: at(200),
            params: { method: 'POST', url: '{{integration.settings.base_url}}/orders', body: 'json', json: { ref: '{{lead.id}}' } },
          },
          { id: 'save', type: 'update-lead', position: at(400), params: { setEid: '{{nodes.send.body.id}}', stage: 'wait' } },
        ],
        edges: [
          { id: 'e1', source: 'lead', sourceHandle: 'out', target: 'send', targetHandle: 'in' },
          { id: 'e2', source: 'send', sourceHandle: 'out', target: 'save', targetHandle: 'in' },
        ],
      }),
    );
    await ok(t.api('POST', '/api/offers', { id: 'fx', name: 'FX' }));
    await ok(t.api('POST', '/api/offers', { id: 'tea', name: 'Tea' }));
    const integration = (id: string, url: string, offer: string, flow: string) =>
      ok(
        t.api('POST', '/api/integrations', {
          id,
          name: id,
          enabled: true,
          settings: { base_url: url },
          offers: [offer],
          flows: { 'lead.new': flow },
        }),
      );
    await integration('platform', platform.url, 'fx', 'deliver-wait');
    await integration('quick', quick.url, 'tea', 'quick-send');

    const slow = (await t.api('POST', '/api/leads', { offer: 'fx', email: 'ann@example.org' })).body.id as number;
    await waitFor(() => platform.received.some((r) => r.path === '/autologin/U-1'), 'the first ask for the autologin URL');
    const fast = (await t.api('POST', '/api/leads', { offer: 'tea', phone: '+49 151 4000001' })).body.id as number;
    const view = async (id: number) => (await t.api('GET', `/api/leads/${id}`)).body;
    await waitFor(async () => (await view(fast)).lead.stage === 'wait', 'the other lead delivered', 5000);
    // delivered while the first one still waits for its target
    expect((await view(slow)).lead.stage).toBe('new');
    const waitingJob = (await view(slow)).deliveries.find((d: { kind: string }) => d.kind === 'lead.new');
    // queued for its continuation, or claimed by it this moment: either way the wait was no attempt
    expect(waitingJob).toMatchObject(waitingJob.state === 'running' ? { attempts: 1 } : { state: 'queued', attempts: 0 });

    // the success execution is stored when the run ends, after the stage
    const done = await waitForSettled(t, slow, 'wait', 10_000);
    expect(done.lead).toMatchObject({ eid: 'U-1', statusComment: 'https://platform.test/auto/U-1?token=t0k3n-U-1' });
    // registered once: each continued run started at the waiting call
    expect(platform.received.filter((r) => r.path === '/register')).toHaveLength(1);
    const states = ((await t.api('GET', `/api/executions?lead=${slow}`)).body.executions as { state: string }[]).map((e) => e.state);
    expect(states).toContain('waiting');
    expect(states).toContain('success');
    expect(states).not.toContain('error');
  });
});
