/**
 * What changed between two documents of a flow (two versions, or a draft and the live version), node
 * by node: nodes added, removed and changed (with each changed field, by the field diff the audit
 * log uses), and connections added and removed. Positions are left out: moving a node changes
 * nothing a lead sees. The editor's Versions panel shows it; `GET /api/flows/:id/diff` answers it.
 *
 * @example
 * const diff = diffFlows(v1, v2);
 * // diff.nodes.changed → [{ id: 'http', type: 'http-request', fields: [{ path: 'params.url', before: '/a', after: '/b', changed: true }] }]
 */
import { auditDiff, type FieldChange } from '../domain/field-diff.ts';
import type { FlowDoc, FlowEdge, FlowNode } from '../domain/flow.ts';

/** A node as a diff names it. */
export interface NodeRef {
  id: string;
  type: string;
  label?: string;
}

/** A node in both documents whose type, label, params or settings differ: only the changed fields. */
export interface NodeChange extends NodeRef {
  fields: FieldChange[];
}

/** A connection as a diff names it (edge ids are the editor's, so connections compare by their ends). */
export type EdgeRef = Pick<FlowEdge, 'source' | 'sourceHandle' | 'target' | 'targetHandle'>;

export interface FlowDiff {
  /** The flow's own fields that changed: `name`, `event`, `description`. */
  flow: FieldChange[];
  nodes: { added: NodeRef[]; removed: NodeRef[]; changed: NodeChange[] };
  edges: { added: EdgeRef[]; removed: EdgeRef[] };
}

const ref = (node: FlowNode): NodeRef => ({ id: node.id, type: node.type, ...(node.label ? { label: node.label } : {}) });
const compared = (node: FlowNode) => ({ type: node.type, label: node.label ?? '', params: node.params, settings: node.settings ?? {} });
const edgeKey = (e: EdgeRef) => JSON.stringify([e.source, e.sourceHandle, e.target, e.targetHandle]);
const edgeRef = ({ source, sourceHandle, target, targetHandle }: FlowEdge): EdgeRef => ({ source, sourceHandle, target, targetHandle });

/** The changes that turn `before` into `after`. */
export function diffFlows(before: FlowDoc, after: FlowDoc): FlowDiff {
  const own = (doc: FlowDoc) => ({ name: doc.name, event: doc.event, description: doc.description ?? '' });
  const old = new Map(before.nodes.map((n) => [n.id, n]));
  const now = new Map(after.nodes.map((n) => [n.id, n]));
  const changed: NodeChange[] = [];
  for (const node of after.nodes) {
    const previous = old.get(node.id);
    if (!previous) continue;
    const fields = auditDiff(compared(previous), compared(node)).filter((f) => f.changed);
    if (fields.length) changed.push({ ...ref(node), fields });
  }
  const oldEdges = new Set(before.edges.map(edgeKey));
  const newEdges = new Set(after.edges.map(edgeKey));
  return {
    flow: auditDiff(own(before), own(after)).filter((f) => f.changed),
    nodes: {
      added: after.nodes.filter((n) => !old.has(n.id)).map(ref),
      removed: before.nodes.filter((n) => !now.has(n.id)).map(ref),
      changed,
    },
    edges: {
      added: after.edges.filter((e) => !oldEdges.has(edgeKey(e))).map(edgeRef),
      removed: before.edges.filter((e) => !newEdges.has(edgeKey(e))).map(edgeRef),
    },
  };
}

/** Whether a diff has nothing in it (the two documents differ at most in node positions). */
export function isEmptyDiff(diff: FlowDiff): boolean {
  return (
    diff.flow.length +
      diff.nodes.added.length +
      diff.nodes.removed.length +
      diff.nodes.changed.length +
      diff.edges.added.length +
      diff.edges.removed.length ===
    0
  );
}
