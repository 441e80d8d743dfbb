/**
 * What the canvas accepts from the clipboard: nodes copied from a flow (`{ leadflow: 'nodes' }`)
 * or a whole flow document, whose nodes and edges are pasted.
 */
import type { FlowEdge, FlowNode } from '../../../core/domain/flow.ts';
import type { NodeBatch } from '../../../core/flow/operations.ts';

/** The clipboard format for nodes, also between flows and browser tabs: nodes and the edges among them. */
export interface ClipboardNodes extends NodeBatch {
  leadflow: 'nodes';
}

function isNodeList(value: unknown): value is FlowNode[] {
  return (
    Array.isArray(value) &&
    value.every(
      (n) =>
        n !== null &&
        typeof n === 'object' &&
        typeof n.id === 'string' &&
        typeof n.type === 'string' &&
        typeof n.position?.x === 'number' &&
        typeof n.position?.y === 'number',
    )
  );
}

function isEdgeList(value: unknown): value is FlowEdge[] {
  return (
    Array.isArray(value) &&
    value.every((e) => e !== null && typeof e === 'object' && typeof e.source === 'string' && typeof e.target === 'string')
  );
}

export function parseClipboard(text: string): ClipboardNodes | null {
  const trimmed = text.trim();
  if (!trimmed.startsWith('{')) return null;
  let value: { nodes?: unknown; edges?: unknown };
  try {
    value = JSON.parse(trimmed);
  } catch {
    return null;
  }
  if (!isNodeList(value.nodes) || value.nodes.length === 0) return null;
  const edges = isEdgeList(value.edges) ? value.edges : [];
  return {
    leadflow: 'nodes',
    nodes: value.nodes.map((n) => ({ ...n, params: n.params ?? {} })),
    edges: edges.map((e, i) => ({
      id: e.id ?? `e${i + 1}`,
      source: e.source,
      target: e.target,
      sourceHandle: e.sourceHandle ?? 'out',
      targetHandle: e.targetHandle ?? 'in',
    })),
  };
}
