/**
 * The editor's one store (zustand, as React Flow itself uses): the node catalog, the open flow's
 * graph, undo history, validation issues, the last test run and what the side panel shows.
 *
 * Every change to the flow's content goes through {@link commit} first, which records the graph as
 * it was for undo. Moving nodes records once per drag, typing in a field once per pause.
 */
import { create } from 'zustand';
import {
  addEdge,
  applyEdgeChanges,
  applyNodeChanges,
  type Connection,
  type EdgeChange,
  type NodeChange,
  type XYPosition,
} from '@xyflow/react';
import type { NodeDescriptor } from '../../../core/node/contract.ts';
import type { FlowDoc, FlowEdge, FlowNode, NodeSettings } from '../../../core/domain/flow.ts';
import type { FlowIssue } from '../../../core/flow/validate.ts';
import type { StepRecord } from '../../../core/domain/execution.ts';
import type { IntegrationView, TestRunAnswer } from '../api/client.ts';
import type { Offer } from '../../../core/domain/config.ts';
import {
  defaultParams,
  freeNodeId,
  toEditorEdge,
  toEditorNode,
  toFlowDoc,
  toFlowEdge,
  toFlowNode,
  type EditorEdge,
  type EditorNode,
  type FlowMeta,
} from './flow-doc.ts';

interface Snapshot {
  nodes: EditorNode[];
  edges: EditorEdge[];
  meta: FlowMeta;
}

export type PanelTab = 'node' | 'flow' | 'test' | 'versions';

/** What a node did in the last test run; nodes the run did not reach are `skipped`. */
export type NodeRunState = { state: 'ok' | 'error'; step: StepRecord } | { state: 'skipped' };

export interface RunView {
  answer: TestRunAnswer;
  /** Last step per node (a node may run more than once in a For Each branch). */
  steps: Record<string, StepRecord>;
  /** Edges the run went along. */
  edgesTaken: Set<string>;
}

/** A saved version opened for reading; the flow being edited waits in `stash`. */
export interface ViewingVersion {
  version: number;
  stash: Snapshot & { dirty: boolean };
}

/** The clipboard format for nodes, also between flows and browser tabs. */
export interface ClipboardNodes {
  leadflow: 'nodes';
  nodes: FlowNode[];
  edges: FlowEdge[];
}

const HISTORY_LIMIT = 200;
/** Edits to the same field closer together than this are one undo step. */
const COALESCE_MS = 1200;

export interface EditorState {
  descriptors: Map<string, NodeDescriptor>;
  meta: FlowMeta | null;
  nodes: EditorNode[];
  edges: EditorEdge[];
  /** Bumped on every change of content (not selection or size), to re-run validation. */
  revision: number;
  dirty: boolean;
  past: Snapshot[];
  future: Snapshot[];
  lastCommit: { key?: string; at: number };
  issues: FlowIssue[];
  issuesByNode: Record<string, FlowIssue[]>;
  run: RunView | null;
  viewing: ViewingVersion | null;
  panel: PanelTab;
  /** The integration test runs use, and whose settings, secrets and offers completion offers. */
  testIntegration: string;
  /** Integrations and offers, for completion and test runs. */
  integrations: IntegrationView[];
  offers: Offer[];

  setReference(reference: { integrations: IntegrationView[]; offers: Offer[] }): void;
  setDescriptors(list: NodeDescriptor[]): void;
  load(doc: FlowDoc): void;
  toDoc(): FlowDoc | null;
  markSaved(doc: FlowDoc): void;
  commit(key?: string): void;
  undo(): void;
  redo(): void;
  onNodesChange(changes: NodeChange<EditorNode>[]): void;
  onEdgesChange(changes: EdgeChange<EditorEdge>[]): void;
  onConnect(connection: Connection): void;
  addNode(type: string, position: XYPosition): string | undefined;
  setParam(nodeId: string, name: string, value: unknown): void;
  setNodeFields(nodeId: string, fields: { label?: string; settings?: NodeSettings }, key?: string): void;
  renameNode(nodeId: string, newId: string): string | undefined;
  setMeta(fields: Partial<FlowMeta>): void;
  deleteSelected(): void;
  selectOnly(nodeId: string | null): void;
  copySelection(): ClipboardNodes | null;
  /** Pastes nodes (renamed where their ids are taken); returns old id → new id. */
  paste(clip: ClipboardNodes, at?: XYPosition): Map<string, string>;
  setIssues(issues: FlowIssue[]): void;
  setRun(answer: TestRunAnswer | null): void;
  setPanel(tab: PanelTab): void;
  setTestIntegration(id: string): void;
  openVersion(doc: FlowDoc): void;
  closeVersion(): void;
}

function snapshot(s: Pick<EditorState, 'nodes' | 'edges' | 'meta'>): Snapshot {
  return { nodes: s.nodes, edges: s.edges, meta: s.meta as FlowMeta };
}

/** Rewrites `nodes.OLD` to `nodes.NEW` inside every template of a params value. */
function renameReferences(value: unknown, from: string, to: string): unknown {
  if (typeof value === 'string') {
    if (!value.includes('{{')) return value;
    const re = new RegExp(`(\\{\\{[^}]*\\bnodes\\.)${from.replace(/[$]/g, '\\$&')}\\b`, 'g');
    return value.replace(re, `$1${to}`);
  }
  if (Array.isArray(value)) return value.map((v) => renameReferences(v, from, to));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, renameReferences(v, from, to)]));
  }
  return value;
}

export const useEditor = create<EditorState>()((set, get) => ({
  descriptors: new Map(),
  meta: null,
  nodes: [],
  edges: [],
  revision: 0,
  dirty: false,
  past: [],
  future: [],
  lastCommit: { at: 0 },
  issues: [],
  issuesByNode: {},
  run: null,
  viewing: null,
  panel: 'flow',
  testIntegration: '',
  integrations: [],
  offers: [],

  setReference(reference) {
    set(reference);
  },

  setDescriptors(list) {
    set({ descriptors: new Map(list.map((d) => [d.type, d])) });
  },

  load(doc) {
    const { nodes, edges, ...meta } = doc;
    set((s) => ({
      meta,
      nodes: nodes.map(toEditorNode),
      edges: edges.map(toEditorEdge),
      revision: s.revision + 1,
      dirty: false,
      past: [],
      future: [],
      lastCommit: { at: 0 },
      run: null,
      viewing: null,
      issues: [],
      issuesByNode: {},
      panel: 'flow',
    }));
  },

  toDoc() {
    const { meta, nodes, edges } = get();
    return meta ? toFlowDoc(meta, nodes, edges) : null;
  },

  markSaved(doc) {
    set((s) => ({ meta: s.meta ? { ...s.meta, version: doc.version } : s.meta, dirty: false }));
  },

  commit(key) {
    const s = get();
    if (s.viewing || !s.meta) return;
    const now = Date.now();
    const coalesce = key !== undefined && key === s.lastCommit.key && now - s.lastCommit.at < COALESCE_MS;
    set({
      past: coalesce ? s.past : [...s.past.slice(-HISTORY_LIMIT + 1), snapshot(s)],
      future: coalesce ? s.future : [],
      lastCommit: { key, at: now },
      dirty: true,
      revision: s.revision + 1,
    });
  },

  undo() {
    const s = get();
    const previous = s.past[s.past.length - 1];
    if (!previous || s.viewing) return;
    set({
      ...previous,
      past: s.past.slice(0, -1),
      future: [snapshot(s), ...s.future],
      lastCommit: { at: 0 },
      dirty: true,
      revision: s.revision + 1,
    });
  },

  redo() {
    const s = get();
    const next = s.future[0];
    if (!next || s.viewing) return;
    set({
      ...next,
      past: [...s.past, snapshot(s)],
      future: s.future.slice(1),
      lastCommit: { at: 0 },
      dirty: true,
      revision: s.revision + 1,
    });
  },

  onNodesChange(changes) {
    const s = get();
    const editing = changes.some((c) => c.type === 'remove' || c.type === 'add');
    if (s.viewing && changes.some((c) => c.type !== 'select' && c.type !== 'dimensions')) return;
    if (editing) get().commit();
    const moved = changes.some((c) => c.type === 'position' && c.dragging === false);
    set((state) => ({
      nodes: applyNodeChanges(changes, state.nodes),
      revision: editing ? state.revision + 1 : state.revision,
      dirty: state.dirty || moved,
    }));
  },

  onEdgesChange(changes) {
    const s = get();
    const editing = changes.some((c) => c.type === 'remove' || c.type === 'add');
    if (s.viewing && editing) return;
    if (editing) get().commit();
    set((state) => ({ edges: applyEdgeChanges(changes, state.edges) }));
  },

  onConnect(connection) {
    const s = get();
    if (s.viewing || connection.source === connection.target) return;
    const exists = s.edges.some(
      (e) =>
        e.source === connection.source &&
        e.target === connection.target &&
        e.sourceHandle === connection.sourceHandle &&
        e.targetHandle === connection.targetHandle,
    );
    if (exists) return;
    get().commit();
    const taken = new Set(s.edges.map((e) => e.id));
    let n = s.edges.length + 1;
    while (taken.has(`e${n}`)) n++;
    set((state) => ({
      edges: addEdge(
        { ...connection, id: `e${n}`, sourceHandle: connection.sourceHandle ?? 'out', targetHandle: connection.targetHandle ?? 'in' },
        state.edges,
      ),
    }));
  },

  addNode(type, position) {
    const s = get();
    const descriptor = s.descriptors.get(type);
    if (!descriptor || s.viewing || !s.meta) return undefined;
    get().commit();
    const ids = new Set(s.nodes.map((n) => n.id));
    const id = freeNodeId(type, (candidate) => ids.has(candidate));
    const node: EditorNode = { id, type, position, data: { params: defaultParams(descriptor) }, selected: true };
    set((state) => ({
      nodes: [...state.nodes.map((n) => (n.selected ? { ...n, selected: false } : n)), node],
      edges: state.edges.map((e) => (e.selected ? { ...e, selected: false } : e)),
      panel: 'node',
    }));
    return id;
  },

  setParam(nodeId, name, value) {
    get().commit(`param:${nodeId}:${name}`);
    set((state) => ({
      nodes: state.nodes.map((n) => {
        if (n.id !== nodeId) return n;
        const params = { ...n.data.params };
        if (value === undefined) delete params[name];
        else params[name] = value;
        return { ...n, data: { ...n.data, params } };
      }),
    }));
  },

  setNodeFields(nodeId, fields, key) {
    get().commit(key ?? `fields:${nodeId}:${Object.keys(fields).join(',')}`);
    set((state) => ({
      nodes: state.nodes.map((n) => {
        if (n.id !== nodeId) return n;
        const data = { ...n.data };
        if ('label' in fields) {
          if (fields.label) data.label = fields.label;
          else delete data.label;
        }
        if ('settings' in fields) {
          if (fields.settings && Object.keys(fields.settings).length) data.settings = fields.settings;
          else delete data.settings;
        }
        return { ...n, data };
      }),
      // a node whose error port goes away loses the edges from it
      edges:
        fields.settings && fields.settings.onError !== 'error-port'
          ? state.edges.filter((e) => !(e.source === nodeId && e.sourceHandle === 'error'))
          : state.edges,
    }));
  },

  renameNode(nodeId, newId) {
    const s = get();
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(newId)) return 'use letters, digits and _ only, not starting with a digit';
    if (newId === nodeId) return undefined;
    if (s.nodes.some((n) => n.id === newId)) return `a node named "${newId}" exists`;
    get().commit();
    set((state) => ({
      nodes: state.nodes.map((n) => {
        const params = renameReferences(n.data.params, nodeId, newId) as Record<string, unknown>;
        const data = params === n.data.params ? n.data : { ...n.data, params };
        return n.id === nodeId ? { ...n, id: newId, data } : { ...n, data };
      }),
      edges: state.edges.map((e) =>
        e.source === nodeId || e.target === nodeId
          ? { ...e, source: e.source === nodeId ? newId : e.source, target: e.target === nodeId ? newId : e.target }
          : e,
      ),
      run: null,
    }));
    return undefined;
  },

  setMeta(fields) {
    if (!get().meta) return;
    get().commit(`meta:${Object.keys(fields).join(',')}`);
    set((state) => ({ meta: { ...(state.meta as FlowMeta), ...fields } }));
  },

  deleteSelected() {
    const s = get();
    if (s.viewing) return;
    const nodeIds = new Set(s.nodes.filter((n) => n.selected).map((n) => n.id));
    const edgeIds = new Set(s.edges.filter((e) => e.selected).map((e) => e.id));
    if (!nodeIds.size && !edgeIds.size) return;
    get().commit();
    set((state) => ({
      nodes: state.nodes.filter((n) => !nodeIds.has(n.id)),
      edges: state.edges.filter((e) => !edgeIds.has(e.id) && !nodeIds.has(e.source) && !nodeIds.has(e.target)),
      panel: state.panel === 'node' ? 'flow' : state.panel,
    }));
  },

  selectOnly(nodeId) {
    set((state) => ({
      nodes: state.nodes.map((n) => (n.selected !== (n.id === nodeId) ? { ...n, selected: n.id === nodeId } : n)),
      edges: state.edges.map((e) => (e.selected ? { ...e, selected: false } : e)),
      panel: nodeId ? 'node' : state.panel,
    }));
  },

  copySelection() {
    const s = get();
    const nodes = s.nodes.filter((n) => n.selected);
    if (!nodes.length) return null;
    const ids = new Set(nodes.map((n) => n.id));
    return {
      leadflow: 'nodes',
      nodes: nodes.map(toFlowNode),
      edges: s.edges.filter((e) => ids.has(e.source) && ids.has(e.target)).map(toFlowEdge),
    };
  },

  paste(clip, at) {
    const s = get();
    if (s.viewing || !s.meta || !clip.nodes.length) return new Map();
    get().commit();
    const taken = new Set(s.nodes.map((n) => n.id));
    const rename = new Map<string, string>();
    for (const node of clip.nodes) {
      const id = taken.has(node.id) ? freeNodeId(node.id.replace(/_\d+$/, ''), (c) => taken.has(c)) : node.id;
      taken.add(id);
      rename.set(node.id, id);
    }
    const minX = Math.min(...clip.nodes.map((n) => n.position.x));
    const minY = Math.min(...clip.nodes.map((n) => n.position.y));
    const origin = at ?? { x: minX + 40, y: minY + 40 };
    const edgeIds = new Set(s.edges.map((e) => e.id));
    let n = s.edges.length + 1;
    const nextEdgeId = () => {
      while (edgeIds.has(`e${n}`)) n++;
      edgeIds.add(`e${n}`);
      return `e${n}`;
    };
    const nodes: EditorNode[] = clip.nodes.map((node) => {
      let params = node.params ?? {};
      for (const [from, to] of rename) if (from !== to) params = renameReferences(params, from, to) as Record<string, unknown>;
      return {
        ...toEditorNode({ ...node, params }),
        id: rename.get(node.id) as string,
        position: { x: node.position.x - minX + origin.x, y: node.position.y - minY + origin.y },
        selected: true,
      };
    });
    const edges: EditorEdge[] = clip.edges
      .filter((e) => rename.has(e.source) && rename.has(e.target))
      .map((e) => ({
        ...toEditorEdge(e),
        id: nextEdgeId(),
        source: rename.get(e.source) as string,
        target: rename.get(e.target) as string,
      }));
    set((state) => ({
      nodes: [...state.nodes.map((node) => (node.selected ? { ...node, selected: false } : node)), ...nodes],
      edges: [...state.edges.map((e) => (e.selected ? { ...e, selected: false } : e)), ...edges],
      panel: nodes.length === 1 ? 'node' : state.panel,
    }));
    return rename;
  },

  setIssues(issues) {
    const issuesByNode: Record<string, FlowIssue[]> = {};
    for (const issue of issues) if (issue.nodeId) (issuesByNode[issue.nodeId] ??= []).push(issue);
    set({ issues, issuesByNode });
  },

  setRun(answer) {
    if (!answer) {
      set({ run: null });
      return;
    }
    const steps: Record<string, StepRecord> = {};
    for (const step of answer.execution.steps) steps[step.nodeId] = step;
    const edgesTaken = new Set<string>();
    for (const edge of get().edges) {
      const from = steps[edge.source];
      if (from && steps[edge.target] && (from.port ?? 'out') === (edge.sourceHandle ?? 'out')) edgesTaken.add(edge.id);
    }
    set({ run: { answer, steps, edgesTaken } });
  },

  setPanel(panel) {
    set({ panel });
  },

  setTestIntegration(id) {
    set({ testIntegration: id });
  },

  openVersion(doc) {
    const s = get();
    const stash = s.viewing?.stash ?? { ...snapshot(s), dirty: s.dirty };
    const { nodes, edges, ...meta } = doc;
    set((state) => ({
      viewing: { version: doc.version, stash },
      meta,
      nodes: nodes.map(toEditorNode),
      edges: edges.map(toEditorEdge),
      run: null,
      revision: state.revision + 1,
    }));
  },

  closeVersion() {
    const s = get();
    if (!s.viewing) return;
    const { stash } = s.viewing;
    set((state) => ({
      viewing: null,
      nodes: stash.nodes,
      edges: stash.edges,
      meta: stash.meta,
      dirty: stash.dirty,
      revision: state.revision + 1,
    }));
  },
}));

/** The descriptor of a node type, or undefined for a type the runtime does not know. */
export function useDescriptor(type: string | undefined): NodeDescriptor | undefined {
  return useEditor((s) => (type ? s.descriptors.get(type) : undefined));
}
