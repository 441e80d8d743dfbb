/**
 * The open flow document and its undo history. Every edit is one of the kernel's pure flow
 * operations (`core/flow/operations.ts`) applied to the present document and recorded in the
 * history (`history.ts`); this store adds only what the editor needs around them: the saved/unsaved
 * flag, a revision counter for validation and drafts, and a saved version opened for reading.
 *
 * What is selected, measured, shown or run lives in the UI store (`store.ts`), not here.
 */
import { create } from 'zustand';
import { useShallow } from 'zustand/react/shallow';
import type { FlowDoc, NodeSettings } from '../../../core/domain/flow.ts';
import type { NodeDescriptor } from '../../../core/node/contract.ts';
import * as ops from '../../../core/flow/operations.ts';
import * as notes from '../../../core/flow/notes.ts';
import { record, redo, replace, startHistory, undo, type History } from './history.ts';

/** A flow's own fields besides its graph. */
export type FlowMeta = Omit<FlowDoc, 'nodes' | 'edges'>;

/** A saved version opened for reading; the flow being edited waits in `stash`. */
export interface ViewingVersion {
  version: number;
  stash: { history: History<FlowDoc>; dirty: boolean };
}

export interface FlowDocumentState {
  /** The document being edited (or the version being read) is `history.present`. */
  history: History<FlowDoc> | null;
  /** The id of the flow {@link load} opened for editing; the editor page knows by it that its flow is the open one. */
  loadedFrom: string | null;
  /** Bumped on every change of content, to re-run validation and keep the draft. */
  revision: number;
  /** Bumped whenever a document is put in place (load, show, restore), so the canvas lays out and fits it once. */
  opened: number;
  dirty: boolean;
  viewing: ViewingVersion | null;

  load(doc: FlowDoc): void;
  /** Shows a saved version read-only, with no flow being edited behind it (the execution page). */
  show(doc: FlowDoc): void;
  /** Puts unsaved work kept from an earlier session in place of the loaded document, unsaved. */
  restore(doc: FlowDoc): void;
  /** Forgets the document (a screen that showed one closes). */
  clear(): void;
  markSaved(doc: FlowDoc): void;
  /**
   * Applies an edit to the present document as one undo step (or part of the last one, for edits
   * with the same `key` in quick succession). Refused while a saved version is being read.
   * @returns false when the edit was refused or changed nothing.
   */
  edit(change: (doc: FlowDoc) => FlowDoc, key?: string): boolean;
  /** Replaces the present without an undo step: nodes (and notes) moving during a drag recorded at its start. */
  move(
    positions: ReadonlyMap<string, { x: number; y: number }>,
    done: boolean,
    notePositions?: ReadonlyMap<string, { x: number; y: number }>,
  ): void;
  /** Records the present as an undo step before a drag starts. */
  beginMove(): void;
  /**
   * Puts nodes where a layout says, with no undo step and the saved/unsaved flag as it was: a flow
   * laid out as it opens, a saved version being read included (only how it is drawn changes).
   */
  layOut(positions: ReadonlyMap<string, { x: number; y: number }>): void;
  undo(): void;
  redo(): void;
  openVersion(doc: FlowDoc): void;
  closeVersion(): void;
}

export const useFlowDocument = create<FlowDocumentState>()((set, get) => ({
  history: null,
  loadedFrom: null,
  revision: 0,
  opened: 0,
  dirty: false,
  viewing: null,

  load(doc) {
    set((s) => ({
      history: startHistory(doc),
      loadedFrom: doc.id,
      revision: s.revision + 1,
      opened: s.opened + 1,
      dirty: false,
      viewing: null,
    }));
  },

  show(doc) {
    const history = startHistory(doc);
    set((s) => ({
      history,
      loadedFrom: null,
      revision: s.revision + 1,
      opened: s.opened + 1,
      dirty: false,
      viewing: { version: doc.version, stash: { history, dirty: false } },
    }));
  },

  restore(doc) {
    set((s) => ({ history: startHistory(doc), revision: s.revision + 1, opened: s.opened + 1, dirty: true, viewing: null }));
  },

  clear() {
    set((s) => ({ history: null, loadedFrom: null, revision: s.revision + 1, dirty: false, viewing: null }));
  },

  markSaved(saved) {
    const { history } = get();
    if (!history) return;
    set({ history: replace(history, { ...history.present, version: saved.version }), dirty: false });
  },

  edit(change, key) {
    const { history, viewing } = get();
    if (!history || viewing) return false;
    const next = change(history.present);
    if (next === history.present) return false;
    set((s) => ({ history: record(history, next, { key, now: Date.now() }), dirty: true, revision: s.revision + 1 }));
    return true;
  },

  beginMove() {
    const { history, viewing } = get();
    if (!history || viewing) return;
    set({ history: record(history, history.present, { now: Date.now() }) });
  },

  move(positions, done, notePositions) {
    const { history, viewing } = get();
    if (!history || viewing) return;
    const moved = ops.moveNodes(history.present, positions);
    const next = notePositions ? notes.moveNotes(moved, notePositions) : moved;
    if (next === history.present && !done) return;
    set((s) => ({ history: replace(history, next), dirty: s.dirty || done }));
  },

  layOut(positions) {
    const { history } = get();
    if (!history) return;
    const next = ops.moveNodes(history.present, positions);
    if (next !== history.present) set({ history: replace(history, next) });
  },

  undo() {
    const { history, viewing } = get();
    if (!history || viewing || !history.past.length) return;
    set((s) => ({ history: undo(history), dirty: true, revision: s.revision + 1 }));
  },

  redo() {
    const { history, viewing } = get();
    if (!history || viewing || !history.future.length) return;
    set((s) => ({ history: redo(history), dirty: true, revision: s.revision + 1 }));
  },

  openVersion(doc) {
    const { history, viewing, dirty } = get();
    if (!history) return;
    const stash = viewing?.stash ?? { history, dirty };
    set((s) => ({ viewing: { version: doc.version, stash }, history: startHistory(doc), revision: s.revision + 1 }));
  },

  closeVersion() {
    const { viewing } = get();
    if (!viewing) return;
    set((s) => ({ viewing: null, history: viewing.stash.history, dirty: viewing.stash.dirty, revision: s.revision + 1 }));
  },
}));

/** The document as it stands (the version being read, while one is open). */
export function currentDoc(): FlowDoc | null {
  return useFlowDocument.getState().history?.present ?? null;
}

/** The open flow's own fields, re-rendering only when one of them changes. */
export function useFlowMeta(): FlowMeta | null {
  return useFlowDocument(
    useShallow((s) => {
      const doc = s.history?.present;
      if (!doc) return null;
      const meta: Partial<FlowDoc> = { ...doc };
      delete meta.nodes;
      delete meta.edges;
      return meta as FlowMeta;
    }),
  );
}

// the edits the panels and the canvas make, each one kernel operation

export const flowEdits = {
  addNode(descriptor: NodeDescriptor, position: { x: number; y: number }): string | undefined {
    let id: string | undefined;
    useFlowDocument.getState().edit((doc) => {
      const added = ops.addNode(doc, descriptor, position);
      id = added.id;
      return added.graph;
    });
    return id;
  },
  setParam(nodeId: string, name: string, value: unknown): void {
    useFlowDocument.getState().edit((doc) => ops.setParam(doc, nodeId, name, value), `param:${nodeId}:${name}`);
  },
  setNodeFields(nodeId: string, fields: { label?: string; settings?: NodeSettings }, key?: string): void {
    useFlowDocument
      .getState()
      .edit((doc) => ops.setNodeFields(doc, nodeId, fields), key ?? `fields:${nodeId}:${Object.keys(fields).join(',')}`);
  },
  setMeta(fields: Partial<FlowMeta>): void {
    useFlowDocument.getState().edit((doc) => ({ ...doc, ...fields }), `meta:${Object.keys(fields).join(',')}`);
  },
  /** @returns why the name cannot be used, or undefined when the node was renamed (or kept its name). */
  renameNode(nodeId: string, newId: string): string | undefined {
    const doc = currentDoc();
    if (!doc) return undefined;
    const { graph, error } = ops.renameNode(doc, nodeId, newId);
    if (error) return error;
    if (graph !== doc) useFlowDocument.getState().edit(() => graph);
    return undefined;
  },
  connect(connection: ops.Connection): string | undefined {
    let edgeId: string | undefined;
    useFlowDocument.getState().edit((doc) => {
      const made = ops.connect(doc, connection);
      edgeId = made.edgeId;
      return made.graph;
    });
    return edgeId;
  },
  delete(remove: { nodes?: Iterable<string>; edges?: Iterable<string> }): boolean {
    return useFlowDocument.getState().edit((doc) => ops.deleteElements(doc, remove));
  },
  /** Adds a sticky note; @returns its id. */
  addNote(position: { x: number; y: number }, text = ''): string | undefined {
    let id: string | undefined;
    useFlowDocument.getState().edit((doc) => {
      const added = notes.addNote(doc, position, text);
      id = added.id;
      return added.doc;
    });
    return id;
  },
  /** Changes a note's text or size; typing in one note is one undo step. */
  updateNote(id: string, fields: Parameters<typeof notes.updateNote>[2]): void {
    useFlowDocument.getState().edit((doc) => notes.updateNote(doc, id, fields), `note:${id}:${Object.keys(fields).join(',')}`);
  },
  deleteNotes(ids: Iterable<string>): boolean {
    return useFlowDocument.getState().edit((doc) => notes.deleteNotes(doc, ids));
  },
  /** Switches nodes off (skipped, input passed on: core/flow/disabled.ts) or back on. */
  setDisabled(nodeIds: Iterable<string>, disabled: boolean): void {
    useFlowDocument.getState().edit((doc) => notes.setDisabled(doc, nodeIds, disabled));
  },
  /** Moves nodes as one undo step (Tidy up). */
  arrange(positions: ReadonlyMap<string, { x: number; y: number }>): void {
    useFlowDocument.getState().edit((doc) => ops.moveNodes(doc, positions));
  },
  /** @returns old id → new id of the pasted nodes (empty when nothing was pasted). */
  paste(batch: ops.NodeBatch, at?: { x: number; y: number }): Map<string, string> {
    let ids = new Map<string, string>();
    useFlowDocument.getState().edit((doc) => {
      const pasted = ops.pasteNodes(doc, batch, at);
      ids = pasted.ids;
      return pasted.graph;
    });
    return ids;
  },
};
