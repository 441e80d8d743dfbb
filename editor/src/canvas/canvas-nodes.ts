/**
 * What React Flow is given and what it hands back: the document's nodes and notes as React Flow
 * nodes (made once per document object, so the memoized views re-render only for what changed),
 * and React Flow's changes (positions, selection, sizes, removals) into the document and the UI
 * store.
 */
import type { EdgeChange, NodeChange } from '@xyflow/react';
import type { FlowNode, FlowNote } from '../../../core/domain/flow.ts';
import { NOTE_SIZE } from '../../../core/flow/notes.ts';
import { useEditor, type EditorState } from './store.ts';
import { flowEdits, useFlowDocument } from './document.ts';
import { NOTE_TYPE, noteIdOf, noteNodeId, toEditorNode, type EditorEdge, type EditorNode } from './flow-doc.ts';
import type { NoteNode } from './NoteView.tsx';

/** What the canvas draws: the flow's nodes and its sticky notes. */
export type CanvasNode = EditorNode | NoteNode;

export function minimapColor(node: CanvasNode): string {
  if (node.type === NOTE_TYPE) return '#fde68a';
  const s = useEditor.getState();
  if (s.issuesByNode[node.id]) return '#dc2626';
  const step = s.run?.steps[node.id];
  if (step) return step.state === 'ok' ? '#16a34a' : '#dc2626';
  return '#94a3b8';
}

// React Flow's node objects, made once per document node and kept while its selection and size stay,
// so the memoized node view re-renders only for the node that changed
const shown = new WeakMap<FlowNode, EditorNode>();

export function editorNode(node: FlowNode, selected: boolean, measured: EditorNode['measured']): EditorNode {
  const known = shown.get(node);
  if (known && known.selected === selected && known.measured === measured) return known;
  const made = { ...toEditorNode(node), selected, measured };
  shown.set(node, made);
  return made;
}

const shownNotes = new WeakMap<FlowNote, NoteNode>();

export function noteNode(note: FlowNote, selected: boolean): NoteNode {
  const known = shownNotes.get(note);
  if (known && known.selected === selected) return known;
  const size = note.size ?? NOTE_SIZE;
  const made: NoteNode = {
    id: noteNodeId(note.id),
    type: NOTE_TYPE,
    position: { ...note.position },
    data: { text: note.text },
    width: size.width,
    height: size.height,
    selected,
    connectable: false,
    zIndex: -1,
  };
  shownNotes.set(note, made);
  return made;
}

/** Position, selection, size and removal changes from React Flow, into the document and the UI store. */
export function onNodesChange(changes: NodeChange<CanvasNode>[]): void {
  const doc = useFlowDocument.getState();
  const positions = new Map<string, { x: number; y: number }>();
  const notePositions = new Map<string, { x: number; y: number }>();
  let dropped = false;
  const removed: string[] = [];
  const ui = useEditor.getState();
  let selected: Set<string> | undefined;
  let measured: EditorState['measured'] | undefined;
  for (const change of changes) {
    const noteId = 'id' in change ? noteIdOf(change.id) : undefined;
    if (noteId !== undefined && change.type === 'dimensions') {
      // a note's size is the integrator's (its resizer), not a measurement
      if (change.resizing !== undefined && change.dimensions)
        flowEdits.updateNote(noteId, {
          size: { width: Math.round(change.dimensions.width), height: Math.round(change.dimensions.height) },
        });
      continue;
    }
    if (noteId !== undefined && change.type === 'position') {
      if (change.position) notePositions.set(noteId, { x: Math.round(change.position.x), y: Math.round(change.position.y) });
      if (change.dragging === false) dropped = true;
      continue;
    }
    if (change.type === 'position' && change.position) {
      positions.set(change.id, { x: Math.round(change.position.x), y: Math.round(change.position.y) });
      if (change.dragging === false) dropped = true;
    } else if (change.type === 'position' && change.dragging === false) dropped = true;
    else if (change.type === 'select') {
      selected ??= new Set(ui.selectedNodes);
      if (change.selected) selected.add(change.id);
      else selected.delete(change.id);
    } else if (change.type === 'dimensions' && change.dimensions) {
      measured ??= { ...ui.measured };
      measured[change.id] = change.dimensions;
    } else if (change.type === 'remove') removed.push(change.id);
  }
  if (selected || measured) useEditor.setState({ ...(selected && { selectedNodes: selected }), ...(measured && { measured }) });
  if (positions.size || notePositions.size || dropped) doc.move(positions, dropped, notePositions);
  if (removed.length) deleteAndDeselect({ nodes: removed });
}

export function onEdgesChange(changes: EdgeChange<EditorEdge>[]): void {
  const ui = useEditor.getState();
  let selected: Set<string> | undefined;
  const removed: string[] = [];
  for (const change of changes) {
    if (change.type === 'select') {
      selected ??= new Set(ui.selectedEdges);
      if (change.selected) selected.add(change.id);
      else selected.delete(change.id);
    } else if (change.type === 'remove') removed.push(change.id);
  }
  if (selected) useEditor.setState({ selectedEdges: selected });
  if (removed.length) deleteAndDeselect({ edges: removed });
}

function deleteAndDeselect(remove: { nodes?: string[]; edges?: string[] }): void {
  if (!flowEdits.delete(remove)) return;
  const gone = new Set([...(remove.nodes ?? []), ...(remove.edges ?? [])]);
  useEditor.setState((s) => ({
    selectedNodes: new Set([...s.selectedNodes].filter((id) => !gone.has(id))),
    selectedEdges: new Set([...s.selectedEdges].filter((id) => !gone.has(id))),
  }));
}
