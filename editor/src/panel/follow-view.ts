/**
 * What the node panel's CodeMirror editors (Code, JSON) share once their view exists: the view
 * follows its value when it changes from outside (undo on the canvas, another version opened), and
 * its read-only switch. The view is the editor's own; the value it types goes out by its listener.
 */
import { useEffect, type RefObject } from 'react';
import { EditorState, type Compartment } from '@codemirror/state';
import type { EditorView } from '@codemirror/view';

export function useFollowView(
  view: RefObject<EditorView | null>,
  readOnlyCompartment: RefObject<Compartment>,
  value: string,
  readOnly?: boolean,
): void {
  useEffect(() => {
    const v = view.current;
    if (v && v.state.doc.toString() !== value) v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: value } });
  }, [view, value]);

  useEffect(() => {
    view.current?.dispatch({ effects: readOnlyCompartment.current.reconfigure(EditorState.readOnly.of(!!readOnly)) });
  }, [view, readOnlyCompartment, readOnly]);
}
