/**
 * Edits of a flow's graph as pure functions: each takes a graph (`{ nodes, edges }`, a {@link FlowDoc}
 * or a part of one) and returns a new one, never changing its argument. The editor's canvas is
 * built on these; nothing here knows React, the canvas or the browser.
 *
 * The rules are the canvas's: node ids are readable names usable in templates (`http_request_2`),
 * edge ids come from one allocator ({@link edgeIdAllocator}), an edge never joins a node to itself
 * and the same connection is never drawn twice, and renaming a node rewrites every template that
 * reads it (`{{nodes.OLD.body.id}}` → `{{nodes.NEW.body.id}}`) through the template parser. A node
 * keeps the `typeVersion` its params were written for through every edit; a node made now is
 * written for its type's current version ({@link madeNow}).
 *
 * @example
 * const { graph } = renameNode(doc, 'http', 'send');
 * const { graph: next, ids } = pasteNodes(graph, { nodes: copied, edges: between });
 */
import type { FlowDoc, FlowEdge, FlowNode, NodeSettings } from '../domain/flow.ts';
import type { NodeDescriptor } from '../node/contract.ts';
import { parseTemplate, TemplateError, type FilterArg, type PathSegment, type TemplateExpression } from '../template/template.ts';

/** The part of a flow these operations change. A {@link FlowDoc} is one, with its other fields kept. */
export type FlowGraph = Pick<FlowDoc, 'nodes' | 'edges'>;

/** A node id: a name templates can read as `nodes.ID`. */
export const NODE_ID = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** A connection asked for on the canvas; missing handles are the default ports `out` and `in`. */
export interface Connection {
  source: string;
  target: string;
  sourceHandle?: string | null;
  targetHandle?: string | null;
}

/** Nodes and the edges among them, as copied to the clipboard or made from a curl command. */
export interface NodeBatch {
  nodes: FlowNode[];
  edges: FlowEdge[];
}

/** A node id the flow does not use yet, readable in templates: `http_request`, `http_request_2`. */
export function freeNodeId(type: string, taken: (id: string) => boolean): string {
  const base =
    type
      .replace(/[^A-Za-z0-9_]/g, '_')
      .replace(/^[^A-Za-z_]/, '_$&')
      .slice(0, 56) || 'node';
  if (!taken(base)) return base;
  for (let i = 2; ; i++) if (!taken(`${base}_${i}`)) return `${base}_${i}`;
}

/**
 * The one source of edge ids: `e1`, `e2`, … counting on from the number of edges, skipping ids in
 * use. Each call of the returned function gives an id no edge of `edges` nor an earlier call has.
 */
export function edgeIdAllocator(edges: readonly FlowEdge[]): () => string {
  const taken = new Set(edges.map((e) => e.id));
  let n = edges.length + 1;
  return () => {
    while (taken.has(`e${n}`)) n++;
    taken.add(`e${n}`);
    return `e${n}`;
  };
}

/** The params a new node starts with: every default, copied so nodes never share one object. */
export function defaultParams(descriptor: NodeDescriptor): Record<string, unknown> {
  const params: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(descriptor.params)) {
    if (spec.default !== undefined) params[name] = structuredClone(spec.default);
  }
  return params;
}

/**
 * A node whose params were just made for its type as it is now (added from the palette, made from a
 * curl command): it carries the type's `version` as its `typeVersion` when that is above 1, as the
 * flow format writes it, so loading the flow later does not take its params for version-1 ones.
 */
export function madeNow(node: FlowNode, descriptor: Pick<NodeDescriptor, 'version'> | undefined): FlowNode {
  const version = descriptor?.version ?? 1;
  return version > 1 ? { ...node, typeVersion: version } : node;
}

// ---------------------------------------------------------------------------------------------
// references between nodes

const BARE_SEGMENT = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;

function printSegment(segment: PathSegment): string {
  if (typeof segment === 'number') return `[${segment}]`;
  return BARE_SEGMENT.test(segment) ? `.${segment}` : `[${quote(segment)}]`;
}

function quote(text: string): string {
  return `"${text.replace(/[\\"]/g, '\\$&')}"`;
}

function printPath(path: PathSegment[]): string {
  const [root, ...rest] = path;
  return String(root) + rest.map(printSegment).join('');
}

/** Writes an expression back as template text (between the braces), in the parser's own syntax. */
function printExpression(expression: TemplateExpression): string {
  let head: string;
  if (expression.path) {
    head = printPath(expression.path);
  } else {
    head = typeof expression.literal === 'number' ? String(expression.literal) : quote(String(expression.literal ?? ''));
  }
  const argument = (a: FilterArg): string => (typeof a === 'number' ? String(a) : typeof a === 'string' ? quote(a) : printPath(a.path));
  const filters = expression.filters.map((f) => ` | ${f.name}${f.args.length ? ':' + f.args.map(argument).join(',') : ''}`);
  return head + filters.join('');
}

/**
 * One template with `nodes.FROM…` paths made `nodes.TO…`. Each `{{…}}` is parsed on its own, and
 * only an expression that reads node FROM is printed anew; the rest of the text, and expressions
 * that do not parse, stay exactly as written.
 */
function renameInTemplate(template: string, from: string, to: string): string {
  if (!template.includes('{{')) return template;
  let out = '';
  let at = 0;
  while (at < template.length) {
    const open = template.indexOf('{{', at);
    const close = open < 0 ? -1 : template.indexOf('}}', open + 2);
    if (open < 0 || close < 0) break;
    out += template.slice(at, open);
    const source = template.slice(open, close + 2);
    out += renameInExpression(source, from, to);
    at = close + 2;
  }
  return out + template.slice(at);
}

function renameInExpression(source: string, from: string, to: string): string {
  let expression: TemplateExpression;
  try {
    expression = parseTemplate(source).parts[0] as TemplateExpression;
  } catch (error) {
    if (error instanceof TemplateError) return source;
    throw error;
  }
  const reads = (path: PathSegment[] | undefined) => path !== undefined && path[0] === 'nodes' && path[1] === from;
  const renamed = (path: PathSegment[]) => (reads(path) ? ['nodes', to, ...path.slice(2)] : path);
  const inArgs = expression.filters.some((f) => f.args.some((a) => typeof a === 'object' && reads(a.path)));
  if (!reads(expression.path) && !inArgs) return source;
  return `{{${printExpression({
    ...expression,
    path: expression.path && renamed(expression.path),
    filters: expression.filters.map((f) => ({ ...f, args: f.args.map((a) => (typeof a === 'object' ? { path: renamed(a.path) } : a)) })),
  })}}}`;
}

/**
 * A params value with every template reading node `from` rewritten to read node `to`, however deep
 * the strings sit (key-value rows, JSON bodies, lists). Values without such a reference come back as
 * the same objects.
 */
export function renameReferences<T>(value: T, from: string, to: string): T {
  return rename(value, from, to) as T;
}

function rename(value: unknown, from: string, to: string): unknown {
  if (typeof value === 'string') return renameInTemplate(value, from, to);
  if (Array.isArray(value)) {
    const next = value.map((v) => rename(v, from, to));
    return next.some((v, i) => v !== value[i]) ? next : value;
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value);
    const next = entries.map(([k, v]) => [k, rename(v, from, to)] as const);
    return next.some(([, v], i) => v !== entries[i][1]) ? Object.fromEntries(next) : value;
  }
  return value;
}

/** Why `newId` cannot name a node of the graph, or undefined when it can. */
export function nodeIdProblem(graph: FlowGraph, nodeId: string, newId: string): string | undefined {
  if (!NODE_ID.test(newId)) return 'use letters, digits and _ only, not starting with a digit';
  if (newId !== nodeId && graph.nodes.some((n) => n.id === newId)) return `a node named "${newId}" exists`;
  return undefined;
}

/**
 * Renames a node: its id, the edges at it and every reference to it in other nodes' params.
 * @returns the new graph, or the problem with the name (the graph unchanged).
 */
export function renameNode<G extends FlowGraph>(graph: G, nodeId: string, newId: string): { graph: G; error?: string } {
  const error = nodeIdProblem(graph, nodeId, newId);
  if (error) return { graph, error };
  if (newId === nodeId) return { graph };
  const at = (id: string) => (id === nodeId ? newId : id);
  return {
    graph: {
      ...graph,
      nodes: graph.nodes.map((n) => {
        const params = renameReferences(n.params, nodeId, newId);
        return n.id === nodeId || params !== n.params ? { ...n, id: at(n.id), params } : n;
      }),
      edges: graph.edges.map((e) =>
        e.source === nodeId || e.target === nodeId ? { ...e, source: at(e.source), target: at(e.target) } : e,
      ),
    },
  };
}

// ---------------------------------------------------------------------------------------------
// adding, pasting, deleting, connecting

/** Adds a node of a type with its default params under a free id, written for the type's current version. */
export function addNode<G extends FlowGraph>(
  graph: G,
  descriptor: NodeDescriptor,
  position: { x: number; y: number },
): { graph: G; id: string } {
  const ids = new Set(graph.nodes.map((n) => n.id));
  const id = freeNodeId(descriptor.type, (candidate) => ids.has(candidate));
  const node = madeNow({ id, type: descriptor.type, position, params: defaultParams(descriptor) }, descriptor);
  return { graph: { ...graph, nodes: [...graph.nodes, node] }, id };
}

/**
 * Pastes nodes into the graph. A node keeps its id when the graph does not use it, otherwise it gets
 * a free one (`http` → `http_2`); templates among the pasted nodes follow their new ids, edges among
 * them come along with fresh ids, edges to nodes outside the batch are dropped. The batch keeps its
 * shape with its top-left corner at `at`, or 40 px right of and below where it was. A node keeps
 * the `typeVersion` it was copied with: its params are as that version wrote them (one pasted
 * without it is a version-1 node, which the runtime migrates on save like any other); nodes made
 * for the current version are stamped before pasting ({@link madeNow}).
 * @returns the new graph, old id → new id, and the pasted nodes.
 */
export function pasteNodes<G extends FlowGraph>(
  graph: G,
  batch: NodeBatch,
  at?: { x: number; y: number },
): { graph: G; ids: Map<string, string>; pasted: FlowNode[] } {
  const ids = new Map<string, string>();
  if (!batch.nodes.length) return { graph, ids, pasted: [] };
  const taken = new Set(graph.nodes.map((n) => n.id));
  for (const node of batch.nodes) {
    const id = taken.has(node.id) ? freeNodeId(node.id.replace(/_\d+$/, ''), (c) => taken.has(c)) : node.id;
    taken.add(id);
    ids.set(node.id, id);
  }
  const minX = Math.min(...batch.nodes.map((n) => n.position.x));
  const minY = Math.min(...batch.nodes.map((n) => n.position.y));
  const origin = at ?? { x: minX + 40, y: minY + 40 };
  const pasted: FlowNode[] = batch.nodes.map((node) => {
    let params = node.params ?? {};
    for (const [from, to] of ids) if (from !== to) params = renameReferences(params, from, to);
    return {
      ...node,
      id: ids.get(node.id) as string,
      position: { x: node.position.x - minX + origin.x, y: node.position.y - minY + origin.y },
      params,
    };
  });
  const nextEdgeId = edgeIdAllocator(graph.edges);
  const edges: FlowEdge[] = batch.edges
    .filter((e) => ids.has(e.source) && ids.has(e.target))
    .map((e) => ({
      id: nextEdgeId(),
      source: ids.get(e.source) as string,
      sourceHandle: e.sourceHandle ?? 'out',
      target: ids.get(e.target) as string,
      targetHandle: e.targetHandle ?? 'in',
    }));
  return { graph: { ...graph, nodes: [...graph.nodes, ...pasted], edges: [...graph.edges, ...edges] }, ids, pasted };
}

/** The nodes with these ids and the edges among them, as the clipboard carries them. */
export function copyNodes(graph: FlowGraph, nodeIds: ReadonlySet<string>): NodeBatch {
  return {
    nodes: graph.nodes.filter((n) => nodeIds.has(n.id)),
    edges: graph.edges.filter((e) => nodeIds.has(e.source) && nodeIds.has(e.target)),
  };
}

/** Deletes nodes, with every edge at them, and edges. */
export function deleteElements<G extends FlowGraph>(graph: G, remove: { nodes?: Iterable<string>; edges?: Iterable<string> }): G {
  const nodeIds = new Set(remove.nodes ?? []);
  const edgeIds = new Set(remove.edges ?? []);
  if (!nodeIds.size && !edgeIds.size) return graph;
  return {
    ...graph,
    nodes: graph.nodes.filter((n) => !nodeIds.has(n.id)),
    edges: graph.edges.filter((e) => !edgeIds.has(e.id) && !nodeIds.has(e.source) && !nodeIds.has(e.target)),
  };
}

/**
 * Connects two nodes. A node is never connected to itself and the same connection (nodes and
 * handles) is drawn once; either way the graph comes back unchanged, as the same object.
 * @returns the new graph and the new edge's id (undefined when nothing was added).
 */
export function connect<G extends FlowGraph>(graph: G, connection: Connection): { graph: G; edgeId?: string } {
  if (connection.source === connection.target) return { graph };
  const sourceHandle = connection.sourceHandle ?? 'out';
  const targetHandle = connection.targetHandle ?? 'in';
  const exists = graph.edges.some(
    (e) =>
      e.source === connection.source &&
      e.target === connection.target &&
      e.sourceHandle === sourceHandle &&
      e.targetHandle === targetHandle,
  );
  if (exists) return { graph };
  const edge: FlowEdge = {
    id: edgeIdAllocator(graph.edges)(),
    source: connection.source,
    sourceHandle,
    target: connection.target,
    targetHandle,
  };
  return { graph: { ...graph, edges: [...graph.edges, edge] }, edgeId: edge.id };
}

// ---------------------------------------------------------------------------------------------
// a node's own fields

function updateNode<G extends FlowGraph>(graph: G, nodeId: string, update: (node: FlowNode) => FlowNode): G {
  return { ...graph, nodes: graph.nodes.map((n) => (n.id === nodeId ? update(n) : n)) };
}

/** Sets one param of a node; `undefined` removes it. */
export function setParam<G extends FlowGraph>(graph: G, nodeId: string, name: string, value: unknown): G {
  return updateNode(graph, nodeId, (n) => {
    const params = { ...n.params };
    if (value === undefined) delete params[name];
    else params[name] = value;
    return { ...n, params };
  });
}

/**
 * Sets a node's label or settings (empty ones are removed). A node whose failures no longer take
 * the `error` port loses the edges from that port.
 */
export function setNodeFields<G extends FlowGraph>(graph: G, nodeId: string, fields: { label?: string; settings?: NodeSettings }): G {
  const next = updateNode(graph, nodeId, (n) => {
    const node = { ...n };
    if ('label' in fields) {
      if (fields.label) node.label = fields.label;
      else delete node.label;
    }
    if ('settings' in fields) {
      if (fields.settings && Object.keys(fields.settings).length) node.settings = fields.settings;
      else delete node.settings;
    }
    return node;
  });
  if (!fields.settings || fields.settings.onError === 'error-port') return next;
  return { ...next, edges: next.edges.filter((e) => !(e.source === nodeId && e.sourceHandle === 'error')) };
}

/** Moves nodes to new positions. */
export function moveNodes<G extends FlowGraph>(graph: G, positions: ReadonlyMap<string, { x: number; y: number }>): G {
  if (!positions.size) return graph;
  return {
    ...graph,
    nodes: graph.nodes.map((n) => {
      const to = positions.get(n.id);
      return to && (to.x !== n.position.x || to.y !== n.position.y) ? { ...n, position: { x: to.x, y: to.y } } : n;
    }),
  };
}
