import { describe, expect, it } from 'vitest';
import type { FlowDoc, FlowNode } from '../../core/domain/flow.ts';
import type { NodeDescriptor } from '../../core/node/contract.ts';
import {
  addNode,
  connect,
  copyNodes,
  deleteElements,
  edgeIdAllocator,
  madeNow,
  moveNodes,
  pasteNodes,
  renameNode,
  renameReferences,
  setNodeFields,
  setParam,
} from '../../core/flow/operations.ts';
import { currentDoc, flowEdits, useFlowDocument } from '../../editor/src/canvas/document.ts';
import { toEditorNode } from '../../editor/src/canvas/flow-doc.ts';
import { record, redo, startHistory, undo } from '../../editor/src/canvas/history.ts';

const node = (id: string, params: Record<string, unknown> = {}, x = 0, y = 0): FlowNode => ({
  id,
  type: 'http-request',
  position: { x, y },
  params,
});

function flow(): FlowDoc {
  return {
    id: 'f',
    name: 'F',
    event: 'lead.new',
    version: 1,
    nodes: [
      node('lead', {}, 0, 0),
      node('http', { url: '{{integration.settings.base_url}}/orders' }, 250, 0),
      node('extract', {
        fields: [
          { key: 'eid', value: '{{nodes.http.body.id}}' },
          { key: 'note', value: 'see {{ nodes.http.body["order id"] | default:"none" }} and {{nodes.httpx.body}}' },
        ],
        body: { order: { id: '{{nodes.http.body.items[0].id}}', raw: 'nodes.http.body', tag: '{{lead.phone}}' } },
      }),
    ],
    edges: [
      { id: 'e1', source: 'lead', sourceHandle: 'out', target: 'http', targetHandle: 'in' },
      { id: 'e2', source: 'http', sourceHandle: 'out', target: 'extract', targetHandle: 'in' },
    ],
  };
}

describe('renaming a node', () => {
  it('renames the node and the edges at it', () => {
    const { graph, error } = renameNode(flow(), 'http', 'send');
    expect(error).toBeUndefined();
    expect(graph.nodes.map((n) => n.id)).toEqual(['lead', 'send', 'extract']);
    expect(graph.edges.map((e) => [e.source, e.target])).toEqual([
      ['lead', 'send'],
      ['send', 'extract'],
    ]);
  });

  it('rewrites references in key-value rows and JSON params, and leaves lookalike text alone', () => {
    const { graph } = renameNode(flow(), 'http', 'send');
    const extract = graph.nodes.find((n) => n.id === 'extract') as FlowNode;
    expect(extract.params.fields).toEqual([
      { key: 'eid', value: '{{nodes.send.body.id}}' },
      // the other node whose name starts the same, and the filter with its argument, survive
      { key: 'note', value: 'see {{nodes.send.body["order id"] | default:"none"}} and {{nodes.httpx.body}}' },
    ]);
    expect(extract.params.body).toEqual({
      order: { id: '{{nodes.send.body.items[0].id}}', raw: 'nodes.http.body', tag: '{{lead.phone}}' },
    });
  });

  it('keeps params that do not read the node as the same objects', () => {
    const doc = flow();
    const { graph } = renameNode(doc, 'http', 'send');
    expect(graph.nodes[1].params).toBe(doc.nodes[1].params);
    expect(graph.nodes[0]).toBe(doc.nodes[0]);
  });

  it('leaves a template that does not parse as it was', () => {
    expect(renameReferences({ a: '{{nodes.http.body | nosuchfilter}} {{nodes.http.x}}' }, 'http', 'send')).toEqual({
      a: '{{nodes.http.body | nosuchfilter}} {{nodes.send.x}}',
    });
  });

  it('refuses a taken name or one templates cannot read, changing nothing', () => {
    const doc = flow();
    expect(renameNode(doc, 'http', 'lead')).toEqual({ graph: doc, error: 'a node named "lead" exists' });
    expect(renameNode(doc, 'http', '2nd').error).toMatch(/letters, digits and _/);
    expect(renameNode(doc, 'http', 'a-b').graph).toBe(doc);
  });

  it('does not change the flow it was given', () => {
    const doc = flow();
    const before = JSON.stringify(doc);
    renameNode(doc, 'http', 'send');
    expect(JSON.stringify(doc)).toBe(before);
  });
});

describe('pasting nodes', () => {
  it('gives taken ids fresh ones, keeps the edges among the pasted nodes and rewrites their references', () => {
    const doc = flow();
    const clip = copyNodes(doc, new Set(['http', 'extract']));
    expect(clip.edges.map((e) => e.id)).toEqual(['e2']);
    const { graph, ids, pasted } = pasteNodes(doc, clip);
    expect([...ids]).toEqual([
      ['http', 'http_2'],
      ['extract', 'extract_2'],
    ]);
    expect(graph.nodes.map((n) => n.id)).toEqual(['lead', 'http', 'extract', 'http_2', 'extract_2']);
    expect(graph.edges.slice(2)).toEqual([{ id: 'e3', source: 'http_2', sourceHandle: 'out', target: 'extract_2', targetHandle: 'in' }]);
    expect((pasted[1].params.fields as { value: string }[])[0].value).toBe('{{nodes.http_2.body.id}}');
    // the originals still read the original
    expect((graph.nodes[2].params.fields as { value: string }[])[0].value).toBe('{{nodes.http.body.id}}');
  });

  it('offsets the batch, keeping its shape, or puts its corner where asked', () => {
    const doc = flow();
    const clip = copyNodes(doc, new Set(['lead', 'http']));
    expect(pasteNodes(doc, clip).pasted.map((n) => n.position)).toEqual([
      { x: 40, y: 40 },
      { x: 290, y: 40 },
    ]);
    expect(pasteNodes(doc, clip, { x: 500, y: 300 }).pasted.map((n) => n.position)).toEqual([
      { x: 500, y: 300 },
      { x: 750, y: 300 },
    ]);
  });

  it('keeps free ids and drops edges to nodes outside the batch', () => {
    const empty: FlowDoc = { ...flow(), nodes: [], edges: [] };
    const { graph, ids } = pasteNodes(empty, { nodes: [node('http')], edges: flow().edges });
    expect(ids.get('http')).toBe('http');
    expect(graph.edges).toEqual([]);
  });
});

describe('deleting', () => {
  it('removes nodes with every edge at them, and edges by id', () => {
    const doc = flow();
    const withoutHttp = deleteElements(doc, { nodes: ['http'] });
    expect(withoutHttp.nodes.map((n) => n.id)).toEqual(['lead', 'extract']);
    expect(withoutHttp.edges).toEqual([]);
    expect(deleteElements(doc, { edges: ['e1'] }).edges.map((e) => e.id)).toEqual(['e2']);
    expect(deleteElements(doc, {})).toBe(doc);
  });
});

describe('connecting', () => {
  it('adds an edge with default handles and a fresh id', () => {
    const doc = deleteElements(flow(), { edges: ['e1'] });
    const { graph, edgeId } = connect(doc, { source: 'lead', target: 'extract' });
    expect(edgeId).toBe('e3');
    expect(graph.edges.at(-1)).toEqual({ id: 'e3', source: 'lead', sourceHandle: 'out', target: 'extract', targetHandle: 'in' });
  });

  it('never connects a node to itself nor draws the same connection twice', () => {
    const doc = flow();
    expect(connect(doc, { source: 'http', target: 'http' }).graph).toBe(doc);
    expect(connect(doc, { source: 'lead', sourceHandle: 'out', target: 'http', targetHandle: 'in' }).graph).toBe(doc);
    // another port of the same nodes is another connection
    expect(connect(doc, { source: 'lead', sourceHandle: 'error', target: 'http', targetHandle: 'in' }).edgeId).toBe('e3');
  });

  it('takes edge ids from one allocator that skips ids in use', () => {
    const next = edgeIdAllocator([{ id: 'e2', source: 'a', target: 'b', sourceHandle: 'out', targetHandle: 'in' }]);
    expect([next(), next(), next()]).toEqual(['e3', 'e4', 'e5']);
  });

  it('drops the edges from a node’s error port when its failures no longer take it', () => {
    const doc = connect(flow(), { source: 'http', sourceHandle: 'error', target: 'lead' }).graph;
    const after = setNodeFields(doc, 'http', { settings: { onError: 'stop' } });
    expect(after.edges.map((e) => e.id)).toEqual(['e1', 'e2']);
    expect(after.nodes[1].settings).toEqual({ onError: 'stop' });
  });
});

describe('adding a node', () => {
  it('uses a free readable id and the descriptor’s defaults, copied', () => {
    const descriptor = {
      type: 'http-request',
      params: { method: { kind: 'select', default: 'POST' }, headers: { kind: 'keyValue', default: [] } },
    } as unknown as NodeDescriptor;
    const { graph, id } = addNode(flow(), descriptor, { x: 5, y: 6 });
    expect(id).toBe('http_request');
    const second = addNode(graph, descriptor, { x: 0, y: 0 });
    expect(second.id).toBe('http_request_2');
    expect(second.graph.nodes.at(-1)?.params).toEqual({ method: 'POST', headers: [] });
    expect(second.graph.nodes.at(-1)?.params.headers).not.toBe(graph.nodes.at(-1)?.params.headers);
  });
});

describe('the version of a node type a node was written for', () => {
  const greetV2 = {
    type: 'greet',
    version: 2,
    params: { message: { kind: 'template', default: 'Hello' } },
  } as unknown as NodeDescriptor;
  const written = (): FlowDoc => ({
    ...flow(),
    nodes: [...flow().nodes, { id: 'greet', type: 'greet', typeVersion: 2, position: { x: 750, y: 0 }, params: { message: 'Hi' } }],
  });

  it('survives loading, editing and saving a flow in the editor', () => {
    useFlowDocument.getState().load(written());
    expect(toEditorNode(written().nodes[3]).data).toMatchObject({ typeVersion: 2, params: { message: 'Hi' } });
    flowEdits.setParam('greet', 'message', 'Hello {{lead.name}}');
    flowEdits.setNodeFields('greet', { label: 'Say hello', settings: { onError: 'continue' } });
    expect(flowEdits.renameNode('greet', 'hello')).toBeUndefined();
    useFlowDocument.getState().move(new Map([['hello', { x: 800, y: 40 }]]), true);
    flowEdits.paste(copyNodes(currentDoc() as FlowDoc, new Set(['hello'])));
    // what the editor saves is the document as it stands
    const saved = JSON.parse(JSON.stringify(currentDoc())) as FlowDoc;
    expect(saved.nodes.slice(3)).toMatchObject([
      { id: 'hello', typeVersion: 2, label: 'Say hello', params: { message: 'Hello {{lead.name}}' } },
      { id: 'hello_2', typeVersion: 2 },
    ]);
  });

  it('is kept by every graph operation', () => {
    let graph = written();
    graph = setParam(graph, 'greet', 'message', 'Hey');
    graph = renameNode(graph, 'greet', 'hey').graph;
    graph = moveNodes(graph, new Map([['hey', { x: 1, y: 2 }]]));
    graph = connect(graph, { source: 'extract', target: 'hey' }).graph;
    graph = pasteNodes(graph, copyNodes(graph, new Set(['hey']))).graph;
    expect(graph.nodes.filter((n) => n.type === 'greet').map((n) => n.typeVersion)).toEqual([2, 2]);
  });

  it('is the type’s current version for a node added now, and left out for a version-1 type', () => {
    const { graph, id } = addNode(flow(), greetV2, { x: 0, y: 0 });
    expect(graph.nodes.find((n) => n.id === id)).toMatchObject({ type: 'greet', typeVersion: 2, params: { message: 'Hello' } });
    const v1 = addNode(flow(), { ...greetV2, version: 1 }, { x: 0, y: 0 });
    expect(v1.graph.nodes.find((n) => n.id === v1.id)).not.toHaveProperty('typeVersion');
    expect(madeNow(node('body'), greetV2)).toMatchObject({ typeVersion: 2 });
    expect(madeNow(node('body'), undefined)).not.toHaveProperty('typeVersion');
  });

  it('stays as copied on a pasted node (none means version 1, which the runtime brings up on save)', () => {
    const pasted = pasteNodes(flow(), { nodes: [{ id: 'greet', type: 'greet', position: { x: 0, y: 0 }, params: {} }], edges: [] });
    expect(pasted.pasted[0]).not.toHaveProperty('typeVersion');
  });
});

describe('undo and redo', () => {
  it('steps back and forward through recorded edits', () => {
    const doc = flow();
    let h = startHistory(doc);
    const renamed = renameNode(doc, 'http', 'send').graph;
    h = record(h, renamed, { now: 1000 });
    const pasted = pasteNodes(renamed, copyNodes(renamed, new Set(['send']))).graph;
    h = record(h, pasted, { now: 2000 });
    h = undo(h);
    expect(h.present).toBe(renamed);
    h = undo(h);
    expect(h.present).toBe(doc);
    expect(undo(h)).toBe(h);
    h = redo(redo(h));
    expect(h.present).toBe(pasted);
    expect(redo(h)).toBe(h);
  });

  it('makes typing in one field one step, and a new edit drops what could be redone', () => {
    let h = startHistory('');
    h = record(h, 'a', { key: 'param:http:url', now: 1000 });
    h = record(h, 'ab', { key: 'param:http:url', now: 1500 });
    h = record(h, 'abc', { key: 'param:http:url', now: 2000 });
    expect(h.past).toEqual(['']);
    h = record(h, 'abcd', { key: 'param:http:url', now: 4000 });
    expect(h.past).toEqual(['', 'abc']);
    h = undo(h);
    h = record(h, 'x', { now: 5000 });
    expect(h.future).toEqual([]);
    expect(h.past).toEqual(['', 'abc']);
  });
});
