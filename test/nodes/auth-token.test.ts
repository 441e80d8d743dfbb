import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent } from 'undici';
import { Executor, type RunServices } from '../../runtime/engine/executor.ts';
import { createAgent } from '../../runtime/engine/http.ts';
import { loadNodeRegistry, type NodeRegistry } from '../../runtime/engine/registry.ts';
import { validateFlow } from '../../core/flow/validate.ts';
import { TokenCache } from '../../runtime/engine/token-cache.ts';
import type { FlowDoc, FlowNode } from '../../core/domain/flow.ts';
import type { Integration } from '../../core/domain/config.ts';
import type { Lead } from '../../core/domain/lead.ts';
import { startMockServer, type MockServer } from '../support/harness.ts';

let agent: Agent;
let registry: NodeRegistry;
let target: MockServer;
let issued = 0;
let lifetime = 3600;
let loginAnswer: 'ok' | 'refuse' | 'down' = 'ok';

beforeAll(async () => {
  agent = createAgent();
  registry = await loadNodeRegistry();
  target = await startMockServer((r) => {
    if (r.path === '/login') {
      if (loginAnswer === 'down') return { status: 503, body: { error: 'maintenance' } };
      const body = JSON.parse(r.body || '{}') as { user?: string; pass?: string };
      if (loginAnswer === 'refuse' || body.pass !== 'pw-secret-1') return { status: 401, body: { error: 'bad credentials' } };
      issued++;
      return { body: { data: { access: `tok-${issued}-abcdef` }, ttl: lifetime } };
    }
    return { body: { seen: r.headers.authorization ?? null } };
  });
});
afterAll(async () => {
  await agent.close();
  await target.stop();
});

function integration(id = 'fin', password = 'pw-secret-1'): Integration {
  return {
    id,
    name: id,
    enabled: true,
    settings: { base_url: target.url },
    secrets: { user: 'aff', pass: password },
    offers: [],
    flows: {},
    postbackToken: 'x',
  };
}

const lead: Lead = { id: 1, offer: 'o', phone: '+491', integration: 'fin', stage: 'new', created_at: '', updated_at: '' };
const services: RunServices = { leads: { update: async () => ({ lead, stageChanged: true }) }, postbacks: { send: async () => {} } };

function flow(
  auth: Record<string, unknown> = {},
  extra: Omit<FlowNode, 'position'>[] = [],
  edges: [string, string, string?][] = [],
): FlowDoc {
  const nodes: Omit<FlowNode, 'position'>[] = [
    { id: 'lead', type: 'lead-in', params: {} },
    {
      id: 'auth',
      type: 'auth-token',
      params: {
        url: '{{integration.settings.base_url}}/login',
        json: { user: '{{secrets.user}}', pass: '{{secrets.pass}}' },
        tokenPath: 'body.data.access',
        expiresPath: 'body.ttl',
        ...auth,
      },
    },
    { id: 'send', type: 'http-request', params: { method: 'GET', url: '{{integration.settings.base_url}}/orders', body: 'none' } },
    ...extra,
  ];
  const doc: FlowDoc = {
    id: 'f',
    name: 'f',
    event: 'lead.new',
    version: 1,
    nodes: nodes.map((n, i) => ({ position: { x: i, y: 0 }, ...n })),
    edges: [['lead', 'auth'], ['auth', 'send'], ...edges].map(([source, to, port], i) => ({
      id: `e${i}`,
      source,
      sourceHandle: port ?? 'out',
      target: to,
      targetHandle: 'in',
    })),
  };
  const checked = validateFlow(doc, registry);
  if (!checked.ok) throw new Error(JSON.stringify(checked.issues));
  return doc;
}

function logins(): number {
  return target.received.filter((r) => r.path === '/login').length;
}

describe('Auth Token', () => {
  it('logs in once and sends the cached token as a Bearer header until it expires', async () => {
    const executor = new Executor({ registry, agent });
    const before = logins();
    const first = await executor.run({ flow: flow(), event: 'lead.new', integration: integration(), lead, trigger: lead }, services);
    const second = await executor.run({ flow: flow(), event: 'lead.new', integration: integration(), lead, trigger: lead }, services);
    expect(first.error).toBeUndefined();
    expect(logins() - before).toBe(1);
    const seen = target.received
      .filter((r) => r.path === '/orders')
      .slice(-2)
      .map((r) => r.headers.authorization);
    expect(seen[0]).toMatch(/^Bearer tok-\d+-abcdef$/);
    expect(seen[1]).toBe(seen[0]);
    // the token is a secret in every record: neither the output nor the request shows it
    const text = JSON.stringify([first.execution, second.execution]);
    expect(text).not.toContain('-abcdef');
    expect(text).toContain('[secret]');
  });

  it('logs in again once the token is about to expire', async () => {
    const executor = new Executor({ registry, agent });
    lifetime = 2; // two seconds, refreshed 1 s early: kept for one second
    try {
      const before = logins();
      const params = { refreshEarlySeconds: 1 };
      await executor.run({ flow: flow(params), event: 'lead.new', integration: integration('short'), lead, trigger: lead }, services);
      await executor.run({ flow: flow(params), event: 'lead.new', integration: integration('short'), lead, trigger: lead }, services);
      expect(logins() - before).toBe(1);
      await new Promise((resolve) => setTimeout(resolve, 1100));
      await executor.run({ flow: flow(params), event: 'lead.new', integration: integration('short'), lead, trigger: lead }, services);
      expect(logins() - before).toBe(2);
    } finally {
      lifetime = 3600;
    }
  });

  it('keeps tokens apart per integration and per credentials', async () => {
    const executor = new Executor({ registry, agent });
    const before = logins();
    await executor.run({ flow: flow(), event: 'lead.new', integration: integration('a'), lead, trigger: lead }, services);
    await executor.run({ flow: flow(), event: 'lead.new', integration: integration('b'), lead, trigger: lead }, services);
    expect(logins() - before).toBe(2);
    // a changed password is a new login, even for the same integration
    const changed = await executor.run(
      { flow: flow(), event: 'lead.new', integration: integration('a', 'pw-wrong'), lead, trigger: lead },
      services,
    );
    expect(logins() - before).toBe(3);
    expect(changed.error).toMatchObject({ code: 'login_failed', nodeId: 'auth', retryable: false });
  });

  it('a refresh node after a 401 logs in anew; a clear node forgets the token', async () => {
    const executor = new Executor({ registry, agent });
    const before = logins();
    await executor.run({ flow: flow(), event: 'lead.new', integration: integration('r'), lead, trigger: lead }, services);
    await executor.run(
      { flow: flow({ mode: 'refresh' }), event: 'lead.new', integration: integration('r'), lead, trigger: lead },
      services,
    );
    expect(logins() - before).toBe(2);
    const clear = flow({ mode: 'clear', url: '' });
    await executor.run({ flow: clear, event: 'lead.new', integration: integration('r'), lead, trigger: lead }, services);
    await executor.run({ flow: flow(), event: 'lead.new', integration: integration('r'), lead, trigger: lead }, services);
    expect(logins() - before).toBe(3);
  });

  it('a refused login takes the failed exit; a login server in trouble stops the flow for a retry', async () => {
    const executor = new Executor({ registry, agent });
    loginAnswer = 'refuse';
    try {
      const refused = await executor.run(
        {
          flow: flow(
            {},
            [{ id: 'note', type: 'respond', params: { status: 401, body: { error: '{{input.error}}' } } }],
            [['auth', 'note', 'failed']],
          ),
          event: 'lead.new',
          integration: integration('x'),
          lead,
          trigger: lead,
        },
        services,
      );
      expect(refused.error).toBeUndefined();
      expect(refused.response).toEqual({ status: 401, body: { error: 'login refused: HTTP 401' } });
      loginAnswer = 'down';
      const down = await executor.run({ flow: flow(), event: 'lead.new', integration: integration('y'), lead, trigger: lead }, services);
      expect(down.error).toMatchObject({ code: 'http_error', nodeId: 'auth', retryable: true });
    } finally {
      loginAnswer = 'ok';
    }
  });
});

describe('the token cache', () => {
  it('scopes keys per integration, forgets expired values and drops the least recently used past its bound', () => {
    let now = 1000;
    const cache = new TokenCache(2, () => now);
    const a = cache.scope('a');
    const b = cache.scope('b');
    a.set('token', 'A', 100);
    expect(b.get('token')).toBeUndefined();
    expect(a.get('token')).toBe('A');
    now += 100;
    expect(a.get('token')).toBeUndefined();
    a.set('x', 1, 1000);
    b.set('y', 2, 1000);
    a.get('x');
    b.set('z', 3, 1000);
    expect(cache.size).toBe(2);
    expect(b.get('y')).toBeUndefined();
    expect(a.get('x')).toBe(1);
  });
});
