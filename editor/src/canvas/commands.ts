/**
 * What the canvas, the toolbar and the panels do to the open flow when an edit also changes what is
 * selected or shown: the document edit (`document.ts`, one kernel operation each) and the UI state
 * (`store.ts`) after it.
 */
import type { FlowDoc, FlowNode } from '../../../core/domain/flow.ts';
import { copyNodes, type Connection } from '../../../core/flow/operations.ts';
import { currentDoc, flowEdits, useFlowDocument } from './document.ts';
import { useEditor } from './store.ts';
import type { ClipboardNodes } from './clipboard.ts';
import { boundsOf, boxesOf, GAP, layoutFlow, NODE_SIZE, overlaps, placeInView, type LayoutNode, type Point } from './layout.ts';
import { centreOn, fitCanvas, revealBox, viewInFlow } from './view.ts';
import { noteIdOf, noteNodeId } from './flow-doc.ts';
import { NOTE_SIZE } from '../../../core/flow/notes.ts';

/** The open flow's nodes as boxes, with the sizes React Flow measured. */
export function nodeBoxes(doc: Pick<FlowDoc, 'nodes'>): LayoutNode[] {
  const measured = useEditor.getState().measured;
  return doc.nodes.map((n) => ({ id: n.id, position: n.position, size: measured[n.id] }));
}

/**
 * The one placement rule for nodes arriving on the canvas (palette, paste, duplicate, curl import):
 * the top-left corner for the batch — at `near` when that spot is free (the view then pans just
 * enough to show it), else in free space in the current view ({@link placeInView}). Without a
 * canvas (nothing shown), `near` as it is.
 */
export function freeSpot(batch: readonly Pick<FlowNode, 'id' | 'position'>[], near?: Point): Point | undefined {
  const doc = currentDoc();
  const view = viewInFlow();
  if (!doc || !view) return near;
  const measured = useEditor.getState().measured;
  const bounds = boundsOf(boxesOf(batch.map((n) => ({ id: n.id, position: n.position, size: measured[n.id] }))));
  const size = bounds ? { width: bounds.width, height: bounds.height } : { ...NODE_SIZE };
  const taken = takenBoxes(doc);
  // right where asked when that is free (beside the node they follow), the view panned to show them
  if (near) {
    const asked = { x: Math.round(near.x / 10) * 10, y: Math.round(near.y / 10) * 10 };
    const box = { x: asked.x, y: asked.y, width: size.width, height: size.height };
    const pad = GAP.free;
    if (taken.every((t) => !overlaps({ x: box.x - pad, y: box.y - pad, width: box.width + 2 * pad, height: box.height + 2 * pad }, t))) {
      revealBox(box);
      return asked;
    }
  }
  return placeInView(size, taken, view, near);
}

/** What new nodes and notes must not land on: every node and note of the flow. */
function takenBoxes(doc: FlowDoc) {
  const notes = (doc.notes ?? []).map((n) => ({ id: n.id, position: n.position, size: n.size ?? NOTE_SIZE }));
  return boxesOf([...nodeBoxes(doc), ...notes]);
}

/** Adds a sticky note in free space near a point (see {@link freeSpot}), selected. */
export function addNoteNear(near?: Point): string | undefined {
  const doc = currentDoc();
  const view = viewInFlow();
  if (!doc) return undefined;
  const position = view ? placeInView(NOTE_SIZE, takenBoxes(doc), view, near) : (near ?? { x: 100, y: 100 });
  const id = flowEdits.addNote(position);
  if (id) useEditor.getState().select([noteNodeId(id)]);
  return id;
}

/** Switches a node off or on; a node among several selected switches them all. */
export function toggleDisabled(nodeId: string): void {
  const doc = currentDoc();
  const node = doc?.nodes.find((n) => n.id === nodeId);
  if (!doc || !node) return;
  const selected = useEditor.getState().selectedNodes;
  const ids = selected.has(nodeId) ? [...selected].filter((id) => noteIdOf(id) === undefined) : [nodeId];
  flowEdits.setDisabled(ids, !node.disabled);
}

/** Deletes one node (with its edges), or every selected node and note when it is one of them. */
export function deleteNode(nodeId: string): void {
  if (!useEditor.getState().selectedNodes.has(nodeId)) useEditor.getState().select([nodeId]);
  deleteSelected();
}

/**
 * Lays the open flow out left to right with no overlaps, and fits it in view. `record` makes it an
 * undo step that marks the flow unsaved ("Tidy up"); opening a flow lays it out without one.
 */
export function tidyUp(record = true): void {
  const doc = currentDoc();
  if (!doc) return;
  const positions = layoutFlow(nodeBoxes(doc), doc.edges);
  if (record) flowEdits.arrange(positions);
  else useFlowDocument.getState().layOut(positions);
  fitCanvas();
}

/** Opens a document for editing, with nothing selected or run. */
export function openDoc(doc: FlowDoc): void {
  useFlowDocument.getState().load(doc);
  useEditor.getState().reset();
}

/** Adds a node of a type in free space near where asked (see {@link freeSpot}), selected, with its form open. */
export function addNodeAt(type: string, near?: Point): string | undefined {
  const descriptor = useEditor.getState().descriptors.get(type);
  if (!descriptor) return undefined;
  const position = freeSpot([{ id: '', position: { x: 0, y: 0 } }], near) ?? { x: 100, y: 100 };
  const id = flowEdits.addNode(descriptor, position);
  if (id) useEditor.setState({ selectedNodes: new Set([id]), selectedEdges: new Set(), panel: 'node' });
  return id;
}

export function connectNodes(connection: Connection): string | undefined {
  return flowEdits.connect(connection);
}

export function deleteSelected(): void {
  const ui = useEditor.getState();
  const noteIds = [...ui.selectedNodes].map(noteIdOf).filter((id): id is string => id !== undefined);
  const nodes = [...ui.selectedNodes].filter((id) => noteIdOf(id) === undefined);
  const notesGone = noteIds.length > 0 && flowEdits.deleteNotes(noteIds);
  if (!flowEdits.delete({ nodes, edges: ui.selectedEdges }) && !notesGone) return;
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

/**
 * Pastes nodes (renamed where their ids are taken) in free space in view, near `near` when given
 * (see {@link freeSpot}), selected afterwards; returns old id → new id.
 */
export function paste(clip: ClipboardNodes, near?: Point): Map<string, string> {
  if (!clip.nodes.length) return new Map();
  const ids = flowEdits.paste(clip, freeSpot(clip.nodes, near));
  if (ids.size) {
    useEditor.setState((s) => ({
      selectedNodes: new Set(ids.values()),
      selectedEdges: new Set(),
      panel: ids.size === 1 ? 'node' : s.panel,
    }));
  }
  return ids;
}

/** Copies the selected nodes (or the one given) into free space beside them, selected afterwards. */
export function duplicate(nodeId?: string): Map<string, string> {
  if (nodeId && !useEditor.getState().selectedNodes.has(nodeId)) useEditor.getState().select([nodeId]);
  const clip = copySelection();
  if (!clip) return new Map();
  const bounds = boundsOf(boxesOf(nodeBoxes(clip)));
  return paste(clip, bounds && { x: bounds.x + bounds.width + 40, y: bounds.y });
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

/** Selects a node with its form open and centres it in view (a problem clicked in a list). */
export function showNode(nodeId: string): void {
  useEditor.getState().selectOnly(nodeId);
  centreOn(nodeId);
}
