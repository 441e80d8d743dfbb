/**
 * The flow format and React Flow's shape are nearly the same: a flow node's `params`, `settings`
 * and `label` ride in `data`, the node type stays the node type. These two functions are the whole
 * translation.
 */
import type { Edge, Node } from '@xyflow/react';
import type { FlowDoc, FlowEdge, FlowNode, NodeSettings } from '../../../core/domain/flow.ts';
import type { NodeDescriptor } from '../../../core/node/contract.ts';

export interface FlowNodeData extends Record<string, unknown> {
  params: Record<string, unknown>;
  settings?: NodeSettings;
  label?: string;
}

export type EditorNode = Node<FlowNodeData>;
export type EditorEdge = Edge;

/** A flow's own fields besides its graph. */
export type FlowMeta = Omit<FlowDoc, 'nodes' | 'edges'>;

export function toEditorNode(node: FlowNode): EditorNode {
  const data: FlowNodeData = { params: node.params ?? {} };
  if (node.settings) data.settings = node.settings;
  if (node.label) data.label = node.label;
  return { id: node.id, type: node.type, position: { ...node.position }, data };
}

export function toEditorEdge(edge: FlowEdge): EditorEdge {
  return { id: edge.id, source: edge.source, sourceHandle: edge.sourceHandle, target: edge.target, targetHandle: edge.targetHandle };
}

export function toFlowNode(node: EditorNode): FlowNode {
  const out: FlowNode = {
    id: node.id,
    type: node.type ?? '',
    position: { x: Math.round(node.position.x), y: Math.round(node.position.y) },
    params: node.data.params,
  };
  if (node.data.settings && Object.keys(node.data.settings).length) out.settings = node.data.settings;
  if (node.data.label) out.label = node.data.label;
  return out;
}

export function toFlowEdge(edge: EditorEdge): FlowEdge {
  return {
    id: edge.id,
    source: edge.source,
    sourceHandle: edge.sourceHandle ?? 'out',
    target: edge.target,
    targetHandle: edge.targetHandle ?? 'in',
  };
}

export function toFlowDoc(meta: FlowMeta, nodes: EditorNode[], edges: EditorEdge[]): FlowDoc {
  return { ...meta, nodes: nodes.map(toFlowNode), edges: edges.map(toFlowEdge) };
}

/** A node id the flow does not use yet, readable in templates: `http_request`, `http_request_2`. */
export function freeNodeId(type: string, taken: (id: string) => boolean): string {
  const base =
    type
      .replace(/[^A-Za-z0-9_]/g, '_')
      .replace(/^[^A-Za-z_]/, '_$&')
      .slice(0, 56) || 'node';
  if (!taken(base)) return base;
  for (let i = 2; ; i++) if (!taken(`${base}_${i}`)) return `${base}_${i}`;
}

/** The params a new node starts with: every default, copied so nodes never share one object. */
export function defaultParams(descriptor: NodeDescriptor): Record<string, unknown> {
  const params: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(descriptor.params)) {
    if (spec.default !== undefined) params[name] = structuredClone(spec.default);
  }
  return params;
}

/** The ports a node shows: its descriptor's outputs, and `error` when its failures take that port. */
export function outputsOf(descriptor: NodeDescriptor, settings: NodeSettings | undefined): readonly string[] {
  return settings?.onError === 'error-port' ? [...descriptor.outputs, 'error'] : descriptor.outputs;
}
