/**
 * The flow format and React Flow's shape are nearly the same: a flow node's `params`, `settings`
 * and `label` ride in `data`, the node type stays the node type. The canvas draws the document
 * through {@link toEditorNode}; selection and measured sizes come from the UI store.
 */
import type { Edge, Node } from '@xyflow/react';
import type { FlowEdge, FlowNode, NodeSettings } from '../../../core/domain/flow.ts';
import type { NodeDescriptor } from '../../../core/node/contract.ts';

export interface FlowNodeData extends Record<string, unknown> {
  params: Record<string, unknown>;
  settings?: NodeSettings;
  label?: string;
}

export type EditorNode = Node<FlowNodeData>;
export type EditorEdge = Edge;

export function toEditorNode(node: FlowNode): EditorNode {
  const data: FlowNodeData = { params: node.params ?? {} };
  if (node.settings) data.settings = node.settings;
  if (node.label) data.label = node.label;
  return { id: node.id, type: node.type, position: { ...node.position }, data };
}

export function toEditorEdge(edge: FlowEdge): EditorEdge {
  return { id: edge.id, source: edge.source, sourceHandle: edge.sourceHandle, target: edge.target, targetHandle: edge.targetHandle };
}

/** The ports a node shows: its descriptor's outputs, and `error` when its failures take that port. */
export function outputsOf(descriptor: NodeDescriptor, settings: NodeSettings | undefined): readonly string[] {
  return settings?.onError === 'error-port' ? [...descriptor.outputs, 'error'] : descriptor.outputs;
}
