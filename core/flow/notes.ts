/**
 * Canvas-only edits of a flow, as pure functions like `operations.ts`: sticky notes (the
 * integrator's words beside the nodes, which the runtime ignores) and switching nodes off and on
 * (what a disabled node does is `disabled.ts`). Each returns a new document, never changing its
 * argument, and the same object when nothing changes.
 *
 * @example
 * const { doc: withNote, id } = addNote(doc, { x: 40, y: 200 }, 'The CRM wants the phone without +');
 * const off = setDisabled(withNote, ['send'], true);
 */
import type { FlowDoc, FlowNote } from '../domain/flow.ts';
import type { FlowGraph } from './operations.ts';

/** The part of a document the note edits change. */
export type NoteHolder = Pick<FlowDoc, 'notes'>;

/** A new note's size, in canvas pixels. */
export const NOTE_SIZE = { width: 220, height: 120 } as const;

/** Adds a note at a position; its id is the first free `note_N`. */
export function addNote<D extends NoteHolder>(doc: D, position: { x: number; y: number }, text = ''): { doc: D; id: string } {
  const notes = doc.notes ?? [];
  const taken = new Set(notes.map((n) => n.id));
  let n = notes.length + 1;
  while (taken.has(`note_${n}`)) n++;
  const note: FlowNote = { id: `note_${n}`, text, position: { x: position.x, y: position.y }, size: { ...NOTE_SIZE } };
  return { doc: { ...doc, notes: [...notes, note] }, id: note.id };
}

/** Changes a note's text, position or size. */
export function updateNote<D extends NoteHolder>(doc: D, id: string, fields: Partial<Omit<FlowNote, 'id'>>): D {
  const notes = doc.notes ?? [];
  const at = notes.findIndex((n) => n.id === id);
  if (at < 0) return doc;
  const before = notes[at];
  const after = { ...before, ...fields };
  if (JSON.stringify(after) === JSON.stringify(before)) return doc;
  return { ...doc, notes: notes.map((n, i) => (i === at ? after : n)) };
}

/** Moves notes to new positions. */
export function moveNotes<D extends NoteHolder>(doc: D, positions: ReadonlyMap<string, { x: number; y: number }>): D {
  if (!positions.size || !doc.notes?.length) return doc;
  let moved = false;
  const notes = doc.notes.map((n) => {
    const to = positions.get(n.id);
    if (!to || (to.x === n.position.x && to.y === n.position.y)) return n;
    moved = true;
    return { ...n, position: { x: to.x, y: to.y } };
  });
  return moved ? { ...doc, notes } : doc;
}

/** Deletes notes; a flow left with none drops the field, as it was before it had any. */
export function deleteNotes<D extends NoteHolder>(doc: D, ids: Iterable<string>): D {
  const gone = new Set(ids);
  if (!gone.size || !doc.notes?.some((n) => gone.has(n.id))) return doc;
  const notes = doc.notes.filter((n) => !gone.has(n.id));
  if (notes.length) return { ...doc, notes };
  const next: NoteHolder = { ...doc };
  delete next.notes;
  return next as D;
}

/** Switches nodes off (`disabled: true`) or back on (the field removed). */
export function setDisabled<G extends FlowGraph>(graph: G, nodeIds: Iterable<string>, disabled: boolean): G {
  const ids = new Set(nodeIds);
  let changed = false;
  const nodes = graph.nodes.map((n) => {
    if (!ids.has(n.id) || (n.disabled === true) === disabled) return n;
    changed = true;
    const node = { ...n };
    if (disabled) node.disabled = true;
    else delete node.disabled;
    return node;
  });
  return changed ? { ...graph, nodes } : graph;
}
