/**
 * A sticky note on the canvas: the integrator's words beside the nodes, kept in the flow's `notes`
 * (the runtime ignores them). Movable by its top strip, resizable when selected, its text edited in
 * place; one undo step per stretch of typing.
 */
import { memo } from 'react';
import { NodeResizer, type Node, type NodeProps } from '@xyflow/react';
import { flowEdits, useFlowDocument } from './document.ts';
import { noteIdOf, type NOTE_TYPE } from './flow-doc.ts';

export type NoteNode = Node<{ text: string }, typeof NOTE_TYPE>;

function NoteViewInner({ id, data, selected }: NodeProps<NoteNode>) {
  const noteId = noteIdOf(id) ?? id;
  const readOnly = useFlowDocument((s) => s.viewing !== null);
  return (
    <div className={`lf-note${selected ? ' is-selected' : ''}`} data-note-id={noteId}>
      <NodeResizer isVisible={selected && !readOnly} minWidth={120} minHeight={60} color="#ca8a04" />
      <div className="lf-note__head">
        <span>Note</span>
        {!readOnly && (
          <button
            type="button"
            className="nodrag lf-note__delete"
            aria-label="Delete note"
            title="Delete note"
            onClick={() => flowEdits.deleteNotes([noteId])}
          >
            ×
          </button>
        )}
      </div>
      <textarea
        className="nodrag nowheel nopan lf-note__text"
        value={data.text}
        readOnly={readOnly}
        placeholder="Write a note…"
        aria-label="Note text"
        onChange={(e) => flowEdits.updateNote(noteId, { text: e.target.value })}
      />
    </div>
  );
}

export const NoteView = memo(NoteViewInner);
