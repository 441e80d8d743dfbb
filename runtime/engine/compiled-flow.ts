/**
 * A flow version made ready to run, once per version (the executor keeps it by the flow document):
 * its nodes by id, its trigger, its edges by exit, the secrets each node's params name, and the
 * nodes a continued run makes again.
 */
import type { FlowDoc, FlowNode } from '../../core/domain/flow.ts';
import { flowNeeds } from '../../core/flow/needs.ts';
import type { NodeRegistry } from './registry.ts';

export interface CompiledFlow {
  nodes: Map<string, FlowNode>;
  /** Per node, the secrets its params name: each must be set, or the node fails before it runs. */
  secretsNamed: Map<string, string[]>;
  trigger: FlowNode;
  /** `source\u0000port` → target node ids, in edge order. */
  next: Map<string, string[]>;
  /** The nodes a continued run makes again instead of reusing their kept output (runtime/engine/checkpoint.ts). */
  rerun: Set<string>;
}

const compiled = new WeakMap<FlowDoc, CompiledFlow>();

export function compile(flow: FlowDoc, registry: NodeRegistry): CompiledFlow {
  const cached = compiled.get(flow);
  if (cached) return cached;
  const nodes = new Map(flow.nodes.map((n) => [n.id, n]));
  const trigger = flow.nodes.find((n) => registry.get(n.type)?.category === 'trigger');
  if (!trigger) throw new Error(`flow "${flow.id}" has no trigger node`);
  const next = new Map<string, string[]>();
  for (const edge of flow.edges) {
    const key = `${edge.source}\u0000${edge.sourceHandle}`;
    next.set(key, [...(next.get(key) ?? []), edge.target]);
  }
  const secretsNamed = new Map<string, string[]>();
  const rerun = new Set<string>();
  for (const node of flow.nodes) {
    const { secrets } = flowNeeds({ nodes: [node] });
    if (secrets.length) secretsNamed.set(node.id, secrets);
    if (node.settings?.rerun === true || registry.get(node.type)?.rerunOnResume === true) rerun.add(node.id);
  }
  const result = { nodes, trigger, next, secretsNamed, rerun };
  compiled.set(flow, result);
  return result;
}
