// The editor's flow document store without a browser: edits are kernel operations with undo steps,
// and a saved version opened for reading refuses them.
import { beforeEach, describe, expect, it } from 'vitest';
import type { FlowDoc } from '../../core/domain/flow.ts';
import { currentDoc, flowEdits, useFlowDocument } from '../../editor/src/canvas/document.ts';

const doc: FlowDoc = {
  id: 'f',
  name: 'F',
  event: 'lead.new',
  version: 3,
  nodes: [
    { id: 'lead', type: 'lead-in', position: { x: 0, y: 0 }, params: {} },
    { id: 'http', type: 'http-request', position: { x: 250, y: 0 }, params: { url: '{{lead.phone}}' } },
    { id: 'extract', type: 'extract', position: { x: 500, y: 0 }, params: { fields: [{ key: 'eid', value: '{{nodes.http.body.id}}' }] } },
  ],
  edges: [{ id: 'e1', source: 'lead', sourceHandle: 'out', target: 'http', targetHandle: 'in' }],
};

const store = () => useFlowDocument.getState();

describe('the flow document', () => {
  beforeEach(() => store().load(doc));

  it('renames a node with its references as one undo step, and undoes it', () => {
    expect(flowEdits.renameNode('http', 'send')).toBeUndefined();
    expect(currentDoc()?.nodes.map((n) => n.id)).toEqual(['lead', 'send', 'extract']);
    expect(currentDoc()?.nodes[2].params.fields).toEqual([{ key: 'eid', value: '{{nodes.send.body.id}}' }]);
    expect(store().dirty).toBe(true);
    store().undo();
    expect(currentDoc()).toBe(doc);
    store().redo();
    expect(currentDoc()?.nodes[1].id).toBe('send');
  });

  it('says why a name cannot be used and changes nothing', () => {
    expect(flowEdits.renameNode('http', 'lead')).toBe('a node named "lead" exists');
    expect(currentDoc()).toBe(doc);
    expect(store().history?.past).toEqual([]);
  });

  it('makes typing in one field one undo step', () => {
    flowEdits.setParam('http', 'url', 'h');
    flowEdits.setParam('http', 'url', 'ht');
    flowEdits.setParam('http', 'url', 'htt');
    expect(store().history?.past).toHaveLength(1);
    store().undo();
    expect(currentDoc()?.nodes[1].params.url).toBe('{{lead.phone}}');
  });

  it('records a drag once, at its start', () => {
    store().beginMove();
    store().move(new Map([['http', { x: 260, y: 10 }]]), false);
    store().move(new Map([['http', { x: 270, y: 20 }]]), true);
    expect(currentDoc()?.nodes[1].position).toEqual({ x: 270, y: 20 });
    expect(store().history?.past).toHaveLength(1);
    store().undo();
    expect(currentDoc()?.nodes[1].position).toEqual({ x: 250, y: 0 });
  });

  it('refuses edits while a saved version is read, and comes back to the edited flow', () => {
    flowEdits.setMeta({ name: 'Edited' });
    store().openVersion({ ...doc, version: 1, name: 'Old' });
    expect(flowEdits.delete({ nodes: ['http'] })).toBe(false);
    expect(currentDoc()?.name).toBe('Old');
    store().closeVersion();
    expect(currentDoc()?.name).toBe('Edited');
    expect(store().dirty).toBe(true);
  });

  it('keeps the saved version number after a save, without an undo step', () => {
    flowEdits.setMeta({ name: 'Edited' });
    store().markSaved({ ...doc, version: 4 });
    expect(currentDoc()?.version).toBe(4);
    expect(store().dirty).toBe(false);
    expect(store().history?.past).toHaveLength(1);
  });

  it('shows a version read-only with nothing behind it, and restores a draft as unsaved work', () => {
    store().show({ ...doc, version: 1 });
    expect(store().loadedFrom).toBeNull();
    expect(flowEdits.setMeta({ name: 'x' })).toBeUndefined();
    expect(currentDoc()?.name).toBe('F');
    store().load(doc);
    store().restore({ ...doc, name: 'Draft' });
    expect(store().loadedFrom).toBe('f');
    expect(currentDoc()?.name).toBe('Draft');
    expect(store().dirty).toBe(true);
  });
});
