import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent } from 'undici';
import { Executor, INTERRUPTED, type RunServices } from '../../runtime/engine/executor.ts';
import { createAgent } from '../../runtime/engine/http.ts';
import { createRegistry, loadNodeRegistry, type NodeRegistry } from '../../runtime/engine/registry.ts';
import { defineNode, type LeadUpdate } from '../../core/node/contract.ts';
import type { FlowDoc, FlowNode } from '../../core/domain/flow.ts';
import type { Integration } from '../../core/domain/config.ts';
import type { Lead } from '../../core/domain/lead.ts';
import { startMockServer, type MockServer } from '../support/harness.ts';

let agent: Agent;
let registry: NodeRegistry;
let target: MockServer;

beforeAll(async () => {
  agent = createAgent({ allowPrivate: true });
  const deaf = defineNode({
    type: 'deaf',
    version: 1,
    title: 'Deaf',
    category: 'build request',
    description: 'never ends and ignores its signal',
    inputs: ['in'],
    outputs: ['out'],
    params: {},
    execute: () => new Promise(() => {}),
  });
  registry = createRegistry([...(await loadNodeRegistry()).all(), deaf]);
  target = await startMockServer(() => 'hang');
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
const lead: Lead = { id: 1, offer: 'o', phone: '+491', integration: 'i1', stage: 'new', created_at: '', updated_at: '' };

function flow(nodes: Omit<FlowNode, 'position'>[], edges: [string, string, string?][]): FlowDoc {
  return {
    id: 'f',
    name: 'f',
    event: 'lead.new',
    version: 1,
    nodes: [{ id: 'lead', type: 'lead-in', params: {} }, ...nodes].map((n, i) => ({ position: { x: i, y: 0 }, ...n })),
    edges: edges.map(([source, to, port], i) => ({ id: `e${i}`, source, sourceHandle: port ?? 'out', target: to, targetHandle: 'in' })),
  };
}

async function runAborted(doc: FlowDoc, afterMs: number) {
  const updates: LeadUpdate[] = [];
  const services: RunServices = {
    leads: { update: async (change) => (updates.push(change), { lead, stageChanged: true }) },
    postbacks: { send: async () => {} },
  };
  const executor = new Executor({ registry, agent });
  const started = Date.now();
  const result = await executor.run(
    {
      flow: doc,
      event: 'lead.new',
      integration: { ...integration, settings: { base_url: target.url } },
      lead,
      trigger: lead,
      signal: AbortSignal.timeout(afterMs),
    },
    services,
  );
  return { result, updates, tookMs: Date.now() - started };
}

describe('a run aborted by the shutdown', () => {
  it('cancels the request in flight, takes none of its exits, moves no lead, and is recorded as interrupted', async () => {
    const doc = flow(
      [
        {
          id: 'send',
          type: 'http-request',
          params: { method: 'POST', url: '{{integration.settings.base_url}}/orders', timeoutMs: 60_000 },
        },
        { id: 'accepted', type: 'update-lead', params: { stage: 'wait' } },
        { id: 'timedOut', type: 'update-lead', params: { stage: 'cancel', reason: 'timeout' } },
      ],
      [
        ['lead', 'send'],
        ['send', 'accepted'],
        ['send', 'timedOut', 'timeout'],
      ],
    );
    const { result, updates, tookMs } = await runAborted(doc, 200);

    expect(tookMs).toBeLessThan(2_000);
    expect(updates).toEqual([]);
    expect(result.error).toMatchObject({ code: INTERRUPTED, nodeId: 'send', retryable: true });
    expect(result.error?.message).toMatch(/interrupted by shutdown/);
    expect(result.execution.state).toBe('error');
    expect(result.execution.steps.map((s) => [s.nodeId, s.state, s.error?.code])).toEqual([
      ['lead', 'ok', undefined],
      ['send', 'error', INTERRUPTED],
    ]);
  });

  it('does not wait for a node that ignores its signal', async () => {
    const doc = flow(
      [
        { id: 'stuck', type: 'deaf', params: {} },
        { id: 'accepted', type: 'update-lead', params: { stage: 'wait' } },
      ],
      [
        ['lead', 'stuck'],
        ['stuck', 'accepted'],
      ],
    );
    const { result, updates, tookMs } = await runAborted(doc, 100);
    expect(tookMs).toBeLessThan(2_000);
    expect(updates).toEqual([]);
    expect(result.error).toMatchObject({ code: INTERRUPTED, nodeId: 'stuck' });
  });
});
