/**
 * The flow format and React Flow's shape are nearly the same: a flow node's `params`, `settings`,
 * `label` and `typeVersion` ride in `data`, the node type stays the node type. The canvas draws the
 * document through {@link toEditorNode}; selection and measured sizes come from the UI store. Saving
 * writes the document itself (`document.ts`), never these nodes, so nothing of a flow node is lost
 * on the way back.
 */
import type { Edge, Node } from '@xyflow/react';
import type { FlowEdge, FlowNode, NodeSettings } from '../../../core/domain/flow.ts';
import type { NodeDescriptor } from '../../../core/node/contract.ts';

export interface FlowNodeData extends Record<string, unknown> {
  params: Record<string, unknown>;
  settings?: NodeSettings;
  label?: string;
  /** The version of the node type the params were written for; missing means 1. */
  typeVersion?: number;
  /** Switched off: skipped when the flow runs (core/flow/disabled.ts), drawn greyed. */
  disabled?: boolean;
}

export type EditorNode = Node<FlowNodeData>;
export type EditorEdge = Edge;

export function toEditorNode(node: FlowNode): EditorNode {
  const data: FlowNodeData = { params: node.params ?? {} };
  if (node.settings) data.settings = node.settings;
  if (node.label) data.label = node.label;
  if (node.typeVersion !== undefined) data.typeVersion = node.typeVersion;
  if (node.disabled) data.disabled = true;
  return { id: node.id, type: node.type, position: { ...node.position }, data };
}

export function toEditorEdge(edge: FlowEdge): EditorEdge {
  return { id: edge.id, source: edge.source, sourceHandle: edge.sourceHandle, target: edge.target, targetHandle: edge.targetHandle };
}

/** The ports a node shows: its descriptor's outputs, and `error` when its failures take that port. */
export function outputsOf(descriptor: NodeDescriptor, settings: NodeSettings | undefined): readonly string[] {
  return settings?.onError === 'error-port' ? [...descriptor.outputs, 'error'] : descriptor.outputs;
}

/** React Flow's node type for sticky notes, and the prefix that keeps their ids apart from flow nodes'. */
export const NOTE_TYPE = 'lf-note';
export const NOTE_PREFIX = 'note:';

/** The React Flow id of a note, and back. */
export const noteNodeId = (noteId: string) => NOTE_PREFIX + noteId;
export const noteIdOf = (nodeId: string): string | undefined =>
  nodeId.startsWith(NOTE_PREFIX) ? nodeId.slice(NOTE_PREFIX.length) : undefined;
