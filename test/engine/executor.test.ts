import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent } from 'undici';
import { Executor, type RunServices } from '../../runtime/engine/executor.ts';
import { createAgent } from '../../runtime/engine/http.ts';
import { createRegistry, loadNodeRegistry, type NodeRegistry } from '../../runtime/engine/registry.ts';
import { validateFlow } from '../../core/flow/validate.ts';
import { defineNode } from '../../core/node/contract.ts';
import type { FlowDoc, FlowNode } from '../../core/domain/flow.ts';
import type { Integration } from '../../core/domain/config.ts';
import type { Lead } from '../../core/domain/lead.ts';
import type { NewExecution } from '../../runtime/store/types.ts';
import { startMockServer, type MockServer } from '../support/harness.ts';

let agent: Agent;
let registry: NodeRegistry;
let target: MockServer;

beforeAll(async () => {
  agent = createAgent();
  const catalog = await loadNodeRegistry();
  let flaky = 0;
  // a node that fails its first two runs, to see the retry setting work
  const flakyNode = defineNode({
    type: 'flaky',
    version: 1,
    title: 'Flaky',
    category: 'build request',
    description: 'fails twice',
    inputs: ['in'],
    outputs: ['out'],
    params: {},
    execute: () => {
      if (++flaky <= 2) throw new Error(`flaky failure ${flaky}`);
      return { output: { flaky } };
    },
  });
  const slowNode = defineNode({
    type: 'slow',
    version: 1,
    title: 'Slow',
    category: 'build request',
    description: 'never ends',
    inputs: ['in'],
    outputs: ['out'],
    params: {},
    execute: () => new Promise(() => {}),
  });
  registry = createRegistry([...catalog.all(), flakyNode, slowNode]);
  target = await startMockServer((r) =>
    r.path === '/fail' ? { status: 400, body: { error: 'no' } } : { body: { id: 'E-1', echo: r.headers['x-key'] } },
  );
});
afterAll(async () => {
  await agent.close();
  await target.stop();
});

const integration: Integration = {
  id: 'i1',
  name: 'Target',
  enabled: true,
  settings: { base_url: '' },
  secrets: { key: 'sk-live-0123456789' },
  offers: [],
  flows: {},
  postbackToken: 'x',
};

const lead: Lead = { id: 1, offer: 'o', phone: '+491', integration: 'i1', stage: 'new', created_at: '', updated_at: '' };

const services: RunServices = {
  leads: { update: async () => ({ lead, stageChanged: true }) },
  postbacks: { send: async () => {} },
};

function flow(nodes: Omit<FlowNode, 'position'>[], edges: [string, string, string?][]): FlowDoc {
  return {
    id: 'f',
    name: 'f',
    event: 'lead.new',
    version: 1,
    nodes: [{ id: 'lead', type: 'lead-in', params: {} }, ...nodes].map((n, i) => ({ position: { x: i, y: 0 }, ...n })),
    edges: edges.map(([source, target, port], i) => ({ id: `e${i}`, source, sourceHandle: port ?? 'out', target, targetHandle: 'in' })),
  };
}

async function run(doc: FlowDoc, secrets = integration.secrets, trigger: Lead = lead) {
  const recorded: NewExecution[] = [];
  const executor = new Executor({ registry, agent, store: { insertExecution: async (e) => (recorded.push(e), recorded.length) } });
  const result = await executor.run(
    {
      flow: doc,
      event: doc.event,
      integration: { ...integration, secrets: secrets ?? integration.secrets, settings: { base_url: target.url } },
      lead: trigger,
      trigger,
    },
    services,
  );
  return { result, recorded: recorded[0] };
}

describe('the executor', () => {
  it('records every node with input, output, port and the HTTP exchange, secrets redacted', async () => {
    const doc = flow(
      [
        {
          id: 'send',
          type: 'http-request',
          params: {
            method: 'GET',
            url: '{{integration.settings.base_url}}/ok?key={{secrets.key}}',
            headers: [{ key: 'X-Key', value: '{{secrets.key}}' }],
          },
        },
      ],
      [['lead', 'send']],
    );
    expect(validateFlow(doc, registry).ok).toBe(true);
    const { result, recorded } = await run(doc);
    expect(result.error).toBeUndefined();
    expect(recorded.steps.map((s) => [s.nodeId, s.state, s.port])).toEqual([
      ['lead', 'ok', 'out'],
      ['send', 'ok', 'out'],
    ]);
    const exchange = recorded.steps[1].http[0];
    expect(exchange.request.url).toBe(`${target.url}/ok?key=[secret]`);
    expect(exchange.request.headers['X-Key']).toBe('[secret]');
    // the target echoed the key back: the answer is redacted too
    expect(exchange.response?.body).toBe('{"id":"E-1","echo":"[secret]"}');
    expect(JSON.stringify(recorded)).not.toContain('sk-live-0123456789');
    expect(JSON.stringify(result)).not.toContain('sk-live-0123456789');
  });

  it("hands the store each step's input once: by reference to the output it is, filled in for the callers", async () => {
    const handed: NewExecution[] = [];
    // a copy at the call: the executor fills the inputs in afterwards, in place
    const executor = new Executor({ registry, agent, store: { insertExecution: async (e) => (handed.push(structuredClone(e)), 1) } });
    const doc = flow(
      [{ id: 'send', type: 'http-request', params: { method: 'GET', url: '{{integration.settings.base_url}}/ok' } }],
      [['lead', 'send']],
    );
    const { execution } = await executor.run(
      { flow: doc, event: doc.event, integration: { ...integration, settings: { base_url: target.url } }, lead, trigger: lead },
      services,
    );
    expect(handed[0].steps[0]).toMatchObject({ nodeId: 'lead', inputFrom: '$trigger' });
    expect(handed[0].steps[1]).toMatchObject({ nodeId: 'send', inputFrom: 'lead' });
    expect(handed[0].steps.every((step) => step.input === undefined)).toBe(true);
    expect(execution.steps[1].input).toEqual(execution.steps[0].output);
  });

  it('retries a failing node as its settings say, and records the attempts', async () => {
    const { result, recorded } = await run(
      flow([{ id: 'f', type: 'flaky', params: {}, settings: { retry: { attempts: 3, backoffMs: 1 } } }], [['lead', 'f']]),
    );
    expect(result.error).toBeUndefined();
    expect(recorded.steps[1]).toMatchObject({ state: 'ok', attempts: 3, output: { flaky: 3 } });
    expect(recorded.steps[1].logs[0]).toContain('attempt 1 failed');
  });

  it('stops the flow on an error by default, naming the node', async () => {
    const { result } = await run(
      flow([{ id: 'send', type: 'http-request', params: { url: '{{integration.settings.base_url}}/fail' } }], [['lead', 'send']]),
    );
    expect(result.error).toMatchObject({ code: 'http_error', nodeId: 'send', retryable: false });
    expect(result.execution.state).toBe('error');
  });

  it('takes the error port when the node says so, and goes on when told to continue', async () => {
    const withPort = flow(
      [
        {
          id: 'send',
          type: 'http-request',
          params: { url: '{{integration.settings.base_url}}/fail' },
          settings: { onError: 'error-port' },
        },
        { id: 'after', type: 'json-build', params: { body: { code: '{{input.error.code}}' } } },
      ],
      [
        ['lead', 'send'],
        ['send', 'after', 'error'],
      ],
    );
    expect(validateFlow(withPort, registry).ok).toBe(true);
    const ported = await run(withPort);
    expect(ported.result.error).toBeUndefined();
    expect(ported.recorded.steps.map((s) => s.nodeId)).toEqual(['lead', 'send', 'after']);
    expect(ported.recorded.steps[2].output).toMatchObject({ body: { code: 'http_error' } });

    const continued = await run(
      flow(
        [
          {
            id: 'send',
            type: 'http-request',
            params: { url: '{{integration.settings.base_url}}/fail' },
            settings: { onError: 'continue' },
          },
          { id: 'after', type: 'json-build', params: { body: { ok: 'yes' } } },
        ],
        [
          ['lead', 'send'],
          ['send', 'after', 'out'],
        ],
      ),
    );
    expect(continued.result.error).toBeUndefined();
    expect(continued.recorded.steps.map((s) => s.nodeId)).toEqual(['lead', 'send', 'after']);
  });

  it('ends a node that runs past its timeout setting and goes on serving', async () => {
    const { result } = await run(flow([{ id: 's', type: 'slow', params: {}, settings: { timeoutMs: 50 } }], [['lead', 's']]));
    expect(result.error).toMatchObject({ code: 'node_timeout', nodeId: 's', retryable: true });
  });

  it('fails a node whose secret the integration lacks, before it sends anything', async () => {
    const before = target.received.length;
    const { result } = await run(
      flow(
        [
          {
            id: 'send',
            type: 'http-request',
            params: { url: '{{integration.settings.base_url}}/ok', headers: [{ key: 'X-Key', value: '{{secrets.nope}}' }] },
          },
        ],
        [['lead', 'send']],
      ),
    );
    expect(result.error).toMatchObject({ code: 'missing_secret', nodeId: 'send' });
    expect(result.error?.message).toContain('"nope"');
    expect(target.received.length).toBe(before);
  });

  it('runs a For Each branch once per item, however many a status answer holds, then the done branch', async () => {
    const items = Array.from({ length: 1500 }, (_, i) => ({ n: i }));
    const { result, recorded } = await run(
      flow(
        [
          { id: 'each', type: 'for-each', params: { items: '{{trigger.items}}' } },
          { id: 'a', type: 'json-build', params: { body: { n: '{{item.n}}' } } },
          { id: 'b', type: 'json-build', params: { body: { n: '{{input.body.n}}' } } },
          { id: 'end', type: 'json-build', params: { body: { count: '{{input.count}}' } } },
        ],
        [
          ['lead', 'each'],
          ['each', 'a', 'item'],
          ['a', 'b'],
          ['each', 'end', 'done'],
        ],
      ),
      undefined,
      { ...lead, items } as unknown as Lead,
    );
    expect(result.error).toBeUndefined();
    const ran = recorded.steps.map((s) => s.nodeId);
    expect(ran.filter((id) => id === 'b')).toHaveLength(1500);
    expect(ran.at(-1)).toBe('end');
    expect(recorded.steps.at(-1)?.output).toMatchObject({ body: { count: 1500 } });
    expect(recorded.steps.filter((s) => s.nodeId === 'b').at(-1)?.output).toMatchObject({ body: { n: 1499 } });
  });

  it('runs every branch of a port, in edge order', async () => {
    const { recorded } = await run(
      flow(
        [
          { id: 'a', type: 'json-build', params: { body: { n: 'a' } } },
          { id: 'b', type: 'json-build', params: { body: { n: 'b' } } },
        ],
        [
          ['lead', 'a'],
          ['lead', 'b'],
        ],
      ),
    );
    expect(recorded.steps.map((s) => s.nodeId)).toEqual(['lead', 'a', 'b']);
  });
});

describe('flow validation', () => {
  it('refuses a cycle, a second trigger and a trigger that does not fit the event', () => {
    const cyclic = flow(
      [
        { id: 'a', type: 'json-build', params: {} },
        { id: 'b', type: 'json-build', params: {} },
      ],
      [
        ['lead', 'a'],
        ['a', 'b'],
        ['b', 'a'],
      ],
    );
    const result = validateFlow(cyclic, registry);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.issues.map((i) => i.message)).toContain('is part of a cycle; flows run forward only');

    const twoTriggers = flow([{ id: 'again', type: 'lead-in', params: {} }], []);
    const second = validateFlow(twoTriggers, registry);
    expect(!second.ok && second.issues.some((i) => i.message.includes('2 triggers'))).toBe(true);

    const wrongEvent = { ...flow([], []), event: 'postback.in' as const };
    const third = validateFlow(wrongEvent, registry);
    expect(!third.ok && third.issues[0]).toMatchObject({ nodeId: 'lead', field: 'type' });
  });

  it('refuses an edge from a port the node does not have and an unconnected node', () => {
    const doc = flow(
      [
        { id: 'a', type: 'json-build', params: {} },
        { id: 'lonely', type: 'json-build', params: {} },
      ],
      [['lead', 'a', 'sideways']],
    );
    const result = validateFlow(doc, registry);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.issues).toContainEqual(expect.objectContaining({ nodeId: 'lead', field: 'edges[0].sourceHandle' }));
      expect(result.issues).toContainEqual(expect.objectContaining({ nodeId: 'lonely', field: 'inputs.in' }));
    }
  });

  it('checks select values, numbers and status tables against the node', () => {
    const doc = flow(
      [
        { id: 'send', type: 'http-request', params: { url: 'http://x', method: 'FETCH', timeoutMs: 0 } },
        { id: 'map', type: 'map-status', params: { rules: [{ match: 'pattern', value: '([', stage: 'won' }] } },
      ],
      [
        ['lead', 'send'],
        ['send', 'map'],
      ],
    );
    const result = validateFlow(doc, registry);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      const fields = result.issues.map((i) => `${i.nodeId}:${i.field}`);
      expect(fields).toEqual(
        expect.arrayContaining(['send:params.method', 'send:params.timeoutMs', 'map:params.rules[0].value', 'map:params.rules[0].stage']),
      );
    }
  });
});
