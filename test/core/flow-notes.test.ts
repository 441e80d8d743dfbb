import { describe, expect, it } from 'vitest';
import type { FlowDoc } from '../../core/domain/flow.ts';
import { addNote, deleteNotes, moveNotes, setDisabled, updateNote } from '../../core/flow/notes.ts';
import { issueInWords } from '../../core/flow/issue-words.ts';
import type { NodeDescriptor } from '../../core/node/contract.ts';

const doc: FlowDoc = {
  id: 'f',
  name: 'f',
  event: 'lead.new',
  version: 1,
  nodes: [
    { id: 'lead', type: 'lead-in', position: { x: 0, y: 0 }, params: {} },
    { id: 'send', type: 'http-request', label: 'Send order', position: { x: 260, y: 0 }, params: {} },
    { id: 'http_request', type: 'http-request', position: { x: 520, y: 0 }, params: {} },
    { id: 'http_request_2', type: 'http-request', position: { x: 780, y: 0 }, params: {} },
  ],
  edges: [],
};

const catalog = {
  get: (type: string) =>
    (
      ({
        'lead-in': { title: 'Lead In', params: {} },
        'http-request': {
          title: 'HTTP Request',
          params: { url: { kind: 'template', label: 'URL' }, headers: { kind: 'keyValue', label: 'Headers' } },
        },
      }) as unknown as Record<string, NodeDescriptor>
    )[type],
};

describe('sticky notes and switched-off nodes', () => {
  it('adds notes with free ids, changes, moves and deletes them without touching the argument', () => {
    const one = addNote(doc, { x: 10, y: 200 }, 'phone without +');
    expect(one.id).toBe('note_1');
    expect(one.doc.notes).toEqual([
      { id: 'note_1', text: 'phone without +', position: { x: 10, y: 200 }, size: { width: 220, height: 120 } },
    ]);
    expect(doc.notes).toBeUndefined();
    const two = addNote(one.doc, { x: 0, y: 0 });
    expect(two.id).toBe('note_2');
    const edited = updateNote(two.doc, 'note_1', { text: 'changed' });
    expect(edited.notes?.[0].text).toBe('changed');
    expect(updateNote(edited, 'note_1', { text: 'changed' })).toBe(edited);
    expect(moveNotes(edited, new Map([['note_2', { x: 5, y: 6 }]])).notes?.[1].position).toEqual({ x: 5, y: 6 });
    const none = deleteNotes(deleteNotes(edited, ['note_1']), ['note_2']);
    expect('notes' in none).toBe(false);
  });

  it('switches nodes off and on, the field gone when on', () => {
    const off = setDisabled(doc, ['send'], true);
    expect(off.nodes[1].disabled).toBe(true);
    expect(setDisabled(off, ['send'], true)).toBe(off);
    expect('disabled' in setDisabled(off, ['send'], false).nodes[1]).toBe(false);
  });
});

describe('a problem in words', () => {
  it('names the node by its label and the field by its param’s label', () => {
    expect(issueInWords({ nodeId: 'send', field: 'params.url', message: 'is required' }, doc, catalog).text).toBe(
      'Send order: URL is required',
    );
  });

  it('tells apart two nodes that read the same by their ids', () => {
    expect(issueInWords({ nodeId: 'http_request_2', field: 'params.headers[1].key', message: 'is empty' }, doc, catalog).text).toBe(
      'HTTP Request (http_request_2): Headers row 2 key is empty',
    );
  });

  it('reads the graph’s fields in words, and a problem of the flow itself as the flow’s', () => {
    expect(
      issueInWords({ nodeId: 'lead', field: 'inputs.in', message: 'is not connected: nothing leads to this node' }, doc, catalog).text,
    ).toBe('Lead In: input is not connected: nothing leads to this node');
    expect(issueInWords({ nodeId: 'send', field: 'outputs.http_error', message: 'is not connected' }, doc, catalog).text).toBe(
      'Send order: exit “http_error” is not connected',
    );
    expect(issueInWords({ nodeId: 'send', field: 'edges', message: 'is part of a cycle; flows run forward only' }, doc, catalog).text).toBe(
      'Send order: is part of a cycle; flows run forward only',
    );
    expect(issueInWords({ field: 'nodes', message: 'the flow needs a trigger node (such as Lead In)' }, doc, catalog).text).toBe(
      'Flow: the flow needs a trigger node (such as Lead In)',
    );
  });
});
