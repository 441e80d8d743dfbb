/**
 * Where nodes go on the canvas: the whole flow laid out left to right ({@link layoutFlow}, dagre),
 * whether a flow needs it ({@link needsLayout}: no positions, or boxes on top of each other), and
 * the free spot in view for nodes being added, pasted or imported ({@link placeInView}). Pure
 * functions over boxes, so they are tested without a browser; the canvas passes the sizes React
 * Flow measured and falls back on {@link NODE_SIZE}.
 */
import dagre from '@dagrejs/dagre';

export interface Size {
  width: number;
  height: number;
}

export interface Point {
  x: number;
  y: number;
}

export interface Box extends Point, Size {}

/** A node's size before React Flow has measured it: the node is 200 px wide (styles.css), about 80 high. */
export const NODE_SIZE: Size = { width: 200, height: 80 };

/** Room left between boxes: between columns (ranks), between nodes of one column, around a placed batch. */
export const GAP = { rank: 70, node: 40, free: 30 } as const;

export interface LayoutNode {
  id: string;
  position: Point;
  size?: Size;
}

export interface LayoutEdge {
  source: string;
  target: string;
}

function sized(node: LayoutNode): Box {
  const size = node.size ?? NODE_SIZE;
  return { x: node.position.x, y: node.position.y, width: size.width, height: size.height };
}

/** True when two boxes share any area (touching edges do not count). */
export function overlaps(a: Box, b: Box): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

/**
 * A flow needs laying out when its nodes were never placed (more than one node and every node at
 * the same spot, as a generated flow has them) or when any two of them overlap.
 */
export function needsLayout(nodes: readonly LayoutNode[]): boolean {
  if (nodes.length < 2) return false;
  const boxes = nodes.map(sized);
  for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) if (overlaps(boxes[i], boxes[j])) return true;
  return false;
}

/**
 * Positions for every node, left to right along the edges, no two boxes overlapping; the top-left
 * corner of the result is where the flow's top-left node was, so a tidied flow stays in view.
 * Nodes without edges are laid out as columns of their own.
 */
export function layoutFlow(nodes: readonly LayoutNode[], edges: readonly LayoutEdge[]): Map<string, Point> {
  const graph = new dagre.graphlib.Graph({ multigraph: true });
  graph.setGraph({ rankdir: 'LR', ranksep: GAP.rank, nodesep: GAP.node, marginx: 0, marginy: 0 });
  graph.setDefaultEdgeLabel(() => ({}));
  const ids = new Set(nodes.map((n) => n.id));
  for (const node of nodes) graph.setNode(node.id, { ...(node.size ?? NODE_SIZE) });
  edges.forEach((edge, i) => {
    if (ids.has(edge.source) && ids.has(edge.target) && edge.source !== edge.target) graph.setEdge(edge.source, edge.target, {}, `e${i}`);
  });
  dagre.layout(graph);
  const origin = nodes.length
    ? { x: Math.min(...nodes.map((n) => n.position.x)), y: Math.min(...nodes.map((n) => n.position.y)) }
    : { x: 0, y: 0 };
  const placed = new Map<string, Point>();
  for (const node of nodes) {
    const at = graph.node(node.id) as { x: number; y: number; width: number; height: number };
    // dagre answers centres; the flow format keeps top-left corners, on the canvas's 10 px grid
    placed.set(node.id, { x: snap(origin.x + at.x - at.width / 2), y: snap(origin.y + at.y - at.height / 2) });
  }
  return placed;
}

const snap = (v: number) => Math.round(v / 10) * 10;

/**
 * Where a batch of boxes (its own top-left at 0,0, the size given) goes so that it lies inside
 * `view` and on top of none of `taken`: the first free spot scanning the view from `near` (or its
 * top-left) rightwards then downwards, on a 10 px grid. When the view has no free spot big enough,
 * the nearest free spot right of everything in view, so nothing is ever placed on another node.
 */
export function placeInView(batch: Size, taken: readonly Box[], view: Box, near?: Point): Point {
  const pad = GAP.free;
  const free = (x: number, y: number) => {
    const box = { x: x - pad, y: y - pad, width: batch.width + 2 * pad, height: batch.height + 2 * pad };
    return taken.every((t) => !overlaps(box, t));
  };
  const left = view.x + pad;
  const top = view.y + pad;
  const right = view.x + view.width - pad - batch.width;
  const bottom = view.y + view.height - pad - batch.height;
  const start = near ? { x: clamp(near.x, left, right), y: clamp(near.y, top, bottom) } : { x: left, y: top };
  const step = 20;
  // rows from the start downwards, then from the top down to it: the start's neighbourhood first
  const rows: number[] = [];
  for (let y = start.y; y <= bottom; y += step) rows.push(y);
  for (let y = top; y < start.y; y += step) rows.push(y);
  for (const y of rows) {
    const firstX = y === start.y ? start.x : left;
    for (let x = firstX; x <= right; x += step) if (free(x, y)) return { x: snap(x), y: snap(y) };
    for (let x = left; x < firstX; x += step) if (free(x, y)) return { x: snap(x), y: snap(y) };
  }
  // a full view: beside what is there, at the view's top
  const inView = taken.filter((t) => overlaps(t, view));
  const beyond = inView.length ? Math.max(...inView.map((t) => t.x + t.width)) + pad * 2 : left;
  let y = top;
  while (!free(beyond, y)) y += step;
  return { x: snap(beyond), y: snap(y) };
}

function clamp(v: number, low: number, high: number): number {
  return high < low ? low : Math.min(Math.max(v, low), high);
}

/** The box around positioned boxes, or undefined for none. */
export function boundsOf(boxes: readonly Box[]): Box | undefined {
  if (!boxes.length) return undefined;
  const x = Math.min(...boxes.map((b) => b.x));
  const y = Math.min(...boxes.map((b) => b.y));
  return {
    x,
    y,
    width: Math.max(...boxes.map((b) => b.x + b.width)) - x,
    height: Math.max(...boxes.map((b) => b.y + b.height)) - y,
  };
}

/** Boxes of nodes with their known sizes. */
export function boxesOf(nodes: readonly LayoutNode[]): Box[] {
  return nodes.map(sized);
}
