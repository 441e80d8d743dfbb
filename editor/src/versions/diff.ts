/**
 * What changed between two versions of a flow, in words an integrator reads: nodes added and
 * removed, parameters changed (old → new), connections added and removed. Positions are left out:
 * moving a node changes nothing a lead sees.
 */
import type { FlowDoc, FlowEdge, FlowNode } from '../../../core/domain/flow.ts';

export interface FlowChange {
  kind: 'added' | 'removed' | 'changed';
  /** The node concerned, when there is one. */
  nodeId?: string;
  what: string;
  before?: string;
  after?: string;
}

const show = (value: unknown): string => (value === undefined ? '(not set)' : typeof value === 'string' ? value : JSON.stringify(value));

const edgeText = (e: FlowEdge) => `${e.source}${e.sourceHandle !== 'out' ? ` (${e.sourceHandle})` : ''} → ${e.target}`;
const edgeKey = (e: FlowEdge) => `${e.source}\u0000${e.sourceHandle}\u0000${e.target}\u0000${e.targetHandle}`;

/** Flattens params to `field → value` so a change deep in a JSON body names its own path. */
function flatten(value: unknown, prefix: string, out: Map<string, unknown>): void {
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length) {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else if (Array.isArray(value) && value.length && value.every((v) => v !== null && typeof v === 'object')) {
    value.forEach((v, i) => flatten(v, `${prefix}[${i}]`, out));
  } else {
    out.set(prefix, value);
  }
}

function nodeChanges(before: FlowNode, after: FlowNode, out: FlowChange[]): void {
  const id = after.id;
  if (before.type !== after.type) out.push({ kind: 'changed', nodeId: id, what: `${id}: type`, before: before.type, after: after.type });
  if ((before.label ?? '') !== (after.label ?? ''))
    out.push({ kind: 'changed', nodeId: id, what: `${id}: label`, before: before.label ?? '', after: after.label ?? '' });
  const a = new Map<string, unknown>();
  const b = new Map<string, unknown>();
  flatten({ params: before.params, settings: before.settings ?? {} }, '', a);
  flatten({ params: after.params, settings: after.settings ?? {} }, '', b);
  for (const key of new Set([...a.keys(), ...b.keys()])) {
    const x = a.get(key);
    const y = b.get(key);
    if (JSON.stringify(x) !== JSON.stringify(y)) {
      out.push({ kind: 'changed', nodeId: id, what: `${id}: ${key.replace(/^params\./, '')}`, before: show(x), after: show(y) });
    }
  }
}

/** Changes that turn `before` into `after`. */
export function diffFlows(before: FlowDoc, after: FlowDoc): FlowChange[] {
  const out: FlowChange[] = [];
  if (before.name !== after.name) out.push({ kind: 'changed', what: 'flow name', before: before.name, after: after.name });
  if (before.event !== after.event) out.push({ kind: 'changed', what: 'event', before: before.event, after: after.event });
  if ((before.description ?? '') !== (after.description ?? ''))
    out.push({ kind: 'changed', what: 'description', before: before.description ?? '', after: after.description ?? '' });
  const old = new Map(before.nodes.map((n) => [n.id, n]));
  const now = new Map(after.nodes.map((n) => [n.id, n]));
  for (const node of after.nodes)
    if (!old.has(node.id)) out.push({ kind: 'added', nodeId: node.id, what: `node ${node.id} (${node.type})` });
  for (const node of before.nodes)
    if (!now.has(node.id)) out.push({ kind: 'removed', nodeId: node.id, what: `node ${node.id} (${node.type})` });
  for (const node of after.nodes) {
    const previous = old.get(node.id);
    if (previous) nodeChanges(previous, node, out);
  }
  const oldEdges = new Set(before.edges.map(edgeKey));
  const newEdges = new Set(after.edges.map(edgeKey));
  for (const e of after.edges) if (!oldEdges.has(edgeKey(e))) out.push({ kind: 'added', what: `connection ${edgeText(e)}` });
  for (const e of before.edges) if (!newEdges.has(edgeKey(e))) out.push({ kind: 'removed', what: `connection ${edgeText(e)}` });
  return out;
}
