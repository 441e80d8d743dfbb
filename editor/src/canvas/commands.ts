/**
 * What the canvas, the toolbar and the panels do to the open flow when an edit also changes what is
 * selected or shown: the document edit (`document.ts`, one kernel operation each) and the UI state
 * (`store.ts`) after it.
 */
import type { FlowDoc } from '../../../core/domain/flow.ts';
import { copyNodes, type Connection } from '../../../core/flow/operations.ts';
import { currentDoc, flowEdits, useFlowDocument } from './document.ts';
import { useEditor } from './store.ts';
import type { ClipboardNodes } from './clipboard.ts';

/** Opens a document for editing, with nothing selected or run. */
export function openDoc(doc: FlowDoc): void {
  useFlowDocument.getState().load(doc);
  useEditor.getState().reset();
}

/** Adds a node of a type where asked, selected, with its form open. */
export function addNodeAt(type: string, position: { x: number; y: number }): string | undefined {
  const descriptor = useEditor.getState().descriptors.get(type);
  if (!descriptor) return undefined;
  const id = flowEdits.addNode(descriptor, position);
  if (id) useEditor.setState({ selectedNodes: new Set([id]), selectedEdges: new Set(), panel: 'node' });
  return id;
}

export function connectNodes(connection: Connection): string | undefined {
  return flowEdits.connect(connection);
}

export function deleteSelected(): void {
  const ui = useEditor.getState();
  if (!flowEdits.delete({ nodes: ui.selectedNodes, edges: ui.selectedEdges })) return;
  useEditor.setState((s) => ({ selectedNodes: new Set(), selectedEdges: new Set(), panel: s.panel === 'node' ? 'flow' : s.panel }));
}

export function selectAll(): void {
  const doc = currentDoc();
  if (doc) useEditor.setState({ selectedNodes: new Set(doc.nodes.map((n) => n.id)) });
}

/** The selected nodes and the edges among them, as the clipboard carries them. */
export function copySelection(): ClipboardNodes | null {
  const doc = currentDoc();
  const selected = useEditor.getState().selectedNodes;
  if (!doc || !selected.size) return null;
  const batch = copyNodes(doc, selected);
  return batch.nodes.length ? { leadflow: 'nodes', ...batch } : null;
}

/** Pastes nodes (renamed where their ids are taken), selected afterwards; returns old id → new id. */
export function paste(clip: ClipboardNodes, at?: { x: number; y: number }): Map<string, string> {
  if (!clip.nodes.length) return new Map();
  const ids = flowEdits.paste(clip, at);
  if (ids.size) {
    useEditor.setState((s) => ({
      selectedNodes: new Set(ids.values()),
      selectedEdges: new Set(),
      panel: ids.size === 1 ? 'node' : s.panel,
    }));
  }
  return ids;
}

/** Renames a node, keeping it selected; the last run's display no longer matches and goes. */
export function renameNode(nodeId: string, newId: string): string | undefined {
  const before = currentDoc();
  const problem = flowEdits.renameNode(nodeId, newId);
  if (problem || currentDoc() === before) return problem;
  useEditor.setState((s) => ({
    selectedNodes: new Set([...s.selectedNodes].map((id) => (id === nodeId ? newId : id))),
    run: null,
  }));
  return undefined;
}

export function openVersion(doc: FlowDoc): void {
  useFlowDocument.getState().openVersion(doc);
  useEditor.setState({ run: null });
}

export function closeVersion(): void {
  useFlowDocument.getState().closeVersion();
}
