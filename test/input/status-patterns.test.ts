import { describe, expect, it } from 'vitest';
import { mapStatus } from '../../nodes/map-status.ts';
import { validateFlow } from '../../core/flow/validate.ts';
import { loadNodeRegistry } from '../../runtime/engine/registry.ts';
import { runNode } from '../nodes/context.ts';

const registry = await loadNodeRegistry();

/** A flow whose only Map Status has the given rules. */
const flowWithRules = (rules: unknown[]) => ({
  id: 'patterns',
  name: 'Patterns',
  event: 'lead.new',
  nodes: [
    { id: 'lead', type: 'lead-in', position: { x: 0, y: 0 }, params: {} },
    { id: 'status', type: 'map-status', position: { x: 200, y: 0 }, params: { rules } },
  ],
  edges: [{ id: 'e1', source: 'lead', sourceHandle: 'out', target: 'status', targetHandle: 'in' }],
});

describe('Map Status patterns run with RE2 semantics', () => {
  it('answers a catastrophic-backtracking pattern against a 30-character status without stalling', async () => {
    const status = 'a'.repeat(30) + '!';
    const { result } = await runNode(mapStatus, {
      input: { status },
      params: { value: status, rules: [{ match: 'pattern', value: '(a+)+$', stage: 'cancel' }] },
    });
    expect(result.port).toBe('unknown');
    expect(result.failure?.code).toBe('unknown_status');
  });

  it('still matches ignoring letter case', async () => {
    const { result } = await runNode(mapStatus, {
      input: {},
      params: { value: 'REJECTED by CRM', rules: [{ match: 'pattern', value: '^reject', stage: 'cancel' }] },
    });
    expect(result.output).toMatchObject({ stage: 'cancel' });
  });

  it('refuses a backreference pattern when the flow is saved, naming the node and the rule', () => {
    const checked = validateFlow(
      flowWithRules([
        { match: 'list', value: 'new', stage: 'wait' },
        { match: 'pattern', value: '(a)\\1', stage: 'cancel' },
      ]),
      registry,
    );
    expect(checked.ok).toBe(false);
    if (checked.ok) return;
    expect(checked.issues).toContainEqual(expect.objectContaining({ nodeId: 'status', field: 'params.rules[1].value' }));
  });

  it('refuses a lookahead, which RE2 does not have', () => {
    const checked = validateFlow(flowWithRules([{ match: 'pattern', value: '^(?=approved)', stage: 'approve' }]), registry);
    expect(checked.ok).toBe(false);
  });

  it('accepts an RE2 pattern', () => {
    expect(validateFlow(flowWithRules([{ match: 'pattern', value: '^(reject|declin)', stage: 'cancel' }]), registry).ok).toBe(true);
  });
});
