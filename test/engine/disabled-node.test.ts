/**
 * A disabled node (core/flow/disabled.ts): skipped, its input passed on through its main exit; its
 * params are not checked, and a trigger cannot be disabled.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent } from 'undici';
import { Executor, type RunServices } from '../../runtime/engine/executor.ts';
import { createAgent } from '../../runtime/engine/http.ts';
import { loadNodeRegistry, type NodeRegistry } from '../../runtime/engine/registry.ts';
import { validateFlow } from '../../core/flow/validate.ts';
import { DISABLED_LOG } from '../../core/flow/disabled.ts';
import type { FlowDoc } from '../../core/domain/flow.ts';
import type { Integration } from '../../core/domain/config.ts';
import type { Lead } from '../../core/domain/lead.ts';
import type { NewExecution } from '../../runtime/store/types.ts';
import { startMockServer, type MockServer } from '../support/harness.ts';

let agent: Agent;
let registry: NodeRegistry;
let target: MockServer;
const requests: string[] = [];

beforeAll(async () => {
  agent = createAgent();
  registry = await loadNodeRegistry();
  target = await startMockServer((r) => {
    requests.push(r.path);
    return { body: { id: 'E-1' } };
  });
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
  secrets: {},
  offers: [],
  flows: {},
  postbackToken: 'x',
};
const lead: Lead = { id: 1, offer: 'o', phone: '+491', name: 'Anna', integration: 'i1', stage: 'new', created_at: '', updated_at: '' };
const services: RunServices = {
  leads: { update: async () => ({ lead, stageChanged: true }) },
  postbacks: { send: async () => {} },
};

/** lead → body (JSON Build) → send (HTTP Request, disabled) → after (JSON Build reading its input). */
function flowWithDisabledSend(): FlowDoc {
  const nodes = [
    { id: 'lead', type: 'lead-in', params: {} },
    { id: 'body', type: 'json-build', params: { body: { name: '{{lead.name}}' } } },
    { id: 'send', type: 'http-request', disabled: true, params: { method: 'POST', url: '{{integration.settings.base_url}}/orders' } },
    { id: 'after', type: 'json-build', params: { body: { seen: '{{input.body.name}}' } } },
  ];
  return {
    id: 'f',
    name: 'f',
    event: 'lead.new',
    version: 1,
    nodes: nodes.map((n, i) => ({ ...n, position: { x: i * 260, y: 0 } })),
    edges: [
      { id: 'e1', source: 'lead', sourceHandle: 'out', target: 'body', targetHandle: 'in' },
      { id: 'e2', source: 'body', sourceHandle: 'out', target: 'send', targetHandle: 'in' },
      { id: 'e3', source: 'send', sourceHandle: 'out', target: 'after', targetHandle: 'in' },
    ],
  };
}

async function run(doc: FlowDoc) {
  const recorded: NewExecution[] = [];
  const executor = new Executor({ registry, agent, store: { insertExecution: async (e) => (recorded.push(e), recorded.length) } });
  const result = await executor.run(
    { flow: doc, event: doc.event, integration: { ...integration, settings: { base_url: target.url } }, lead, trigger: lead },
    services,
  );
  return { result, steps: recorded[0].steps };
}

describe('a disabled node', () => {
  it('is skipped: it sends nothing, and the node after it gets its input through its main exit', async () => {
    requests.length = 0;
    const { result, steps } = await run(flowWithDisabledSend());
    expect(result.error).toBeUndefined();
    expect(requests).toEqual([]);
    const send = steps.find((s) => s.nodeId === 'send');
    const built = steps.find((s) => s.nodeId === 'body')?.output;
    expect(built).toMatchObject({ body: { name: 'Anna' } });
    expect(send).toMatchObject({ state: 'ok', port: 'out', input: built, output: built, http: [] });
    expect(send?.logs).toEqual([DISABLED_LOG]);
    expect(steps.find((s) => s.nodeId === 'after')?.output).toMatchObject({ body: { seen: 'Anna' } });
  });

  it('runs again once enabled', async () => {
    requests.length = 0;
    const doc = flowWithDisabledSend();
    doc.nodes = doc.nodes.map((n) => (n.id === 'send' ? { ...n, disabled: false } : n));
    await run(doc);
    expect(requests).toEqual(['/orders']);
  });

  it('is not checked for its params, since they are never used, while the graph around it still is', () => {
    const doc = flowWithDisabledSend();
    doc.nodes = doc.nodes.map((n) => (n.id === 'send' ? { ...n, params: { method: 'POST', url: '' } } : n));
    expect(validateFlow(doc, registry).ok).toBe(true);
    doc.edges = doc.edges.filter((e) => e.target !== 'send');
    const checked = validateFlow(doc, registry);
    expect(checked.ok ? [] : checked.issues).toContainEqual(expect.objectContaining({ nodeId: 'send', field: 'inputs.in' }));
  });

  it('cannot be the trigger', () => {
    const doc = flowWithDisabledSend();
    doc.nodes = doc.nodes.map((n) => (n.id === 'lead' ? { ...n, disabled: true } : n));
    const checked = validateFlow(doc, registry);
    expect(checked.ok ? [] : checked.issues).toContainEqual({
      nodeId: 'lead',
      field: 'disabled',
      message: 'a trigger cannot be disabled: nothing would start the flow',
    });
  });
});
