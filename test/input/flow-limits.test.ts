import { afterEach, describe, expect, it } from 'vitest';
import { FLOW_LIMITS, validateFlow } from '../../core/flow/validate.ts';
import { loadNodeRegistry } from '../../runtime/engine/registry.ts';
import { removeDataDir, startRuntime, type TestRuntime } from '../support/harness.ts';

const registry = await loadNodeRegistry();

/** Lead In followed by a chain of `length - 1` Map Status nodes; `loop` adds an edge from the last back to the second. */
function chain(length: number, loop = false) {
  const nodes = [{ id: 'n0', type: 'lead-in', position: { x: 0, y: 0 }, params: {} }];
  const edges = [];
  for (let i = 1; i < length; i++) {
    nodes.push({ id: `n${i}`, type: 'map-status', position: { x: i * 10, y: 0 }, params: {} });
    edges.push({ id: `e${i}`, source: `n${i - 1}`, sourceHandle: 'out', target: `n${i}`, targetHandle: 'in' });
  }
  if (loop) edges.push({ id: 'back', source: `n${length - 1}`, sourceHandle: 'out', target: 'n1', targetHandle: 'in' });
  return { id: 'long-chain', name: 'Long chain', event: 'lead.new', nodes, edges };
}

let t: TestRuntime | undefined;
afterEach(async () => {
  if (!t) return;
  await t.close();
  removeDataDir(t.dataDir);
  t = undefined;
});

describe('flow size and graph checks', () => {
  it('refuses a 5,000-node chain with 422 naming nodes, not a stack overflow', async () => {
    t = await startRuntime();
    const answer = await t.api('POST', '/api/flows', chain(5000));
    expect(answer.status).toBe(422);
    expect(answer.body).toMatchObject({ error: 'invalid_flow', field: 'nodes' });
    expect(answer.body.message).toContain(`at most ${FLOW_LIMITS.nodes}`);
  });

  it('accepts a flow at the node limit', () => {
    expect(validateFlow(chain(FLOW_LIMITS.nodes), registry).ok).toBe(true);
  });

  it('walks a 20,000-node chain for cycles without recursion, and finds the cycle at its end', () => {
    const limits = { nodes: Infinity, edges: Infinity };
    expect(validateFlow(chain(20_000), registry, limits).ok).toBe(true);
    const looped = validateFlow(chain(20_000, true), registry, limits);
    expect(looped.ok).toBe(false);
    if (!looped.ok)
      expect(looped.issues).toEqual([{ nodeId: 'n0', field: 'edges', message: 'is part of a cycle; flows run forward only' }]);
  });
});

describe('template checks inside params', () => {
  it('walks a deeply nested param value without recursion and still finds a broken template in it', () => {
    let body: unknown = '{{lead.name';
    for (let i = 0; i < 20_000; i++) body = [body];
    const flow = {
      id: 'deep',
      name: 'Deep',
      event: 'lead.new',
      nodes: [
        { id: 'lead', type: 'lead-in', position: { x: 0, y: 0 }, params: {} },
        { id: 'build', type: 'json-build', position: { x: 200, y: 0 }, params: { body } },
      ],
      edges: [{ id: 'e1', source: 'lead', sourceHandle: 'out', target: 'build', targetHandle: 'in' }],
    };
    const checked = validateFlow(flow, registry);
    expect(checked.ok).toBe(false);
    if (!checked.ok) expect(checked.issues[0]).toMatchObject({ nodeId: 'build', field: expect.stringMatching(/^params\.body(\[0\])+$/) });
  });
});
