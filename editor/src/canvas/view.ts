/**
 * What part of the flow the canvas shows. Readable first: the canvas never zooms out below the zoom
 * at which a node's smallest text renders at {@link MIN_TEXT_PX} ({@link readableZoom}), so a large flow
 * scrolls (the minimap shows the rest) instead of shrinking to unreadable text, and
 * {@link fitReadable} fits a flow when it can and otherwise starts at its left end, where the
 * trigger is. The canvas registers where it is ({@link showView}) so commands that add nodes can
 * place them in view (`layout.ts`'s `placeInView`).
 */
import type { ReactFlowInstance } from '@xyflow/react';
import type { Box } from './layout.ts';
import type { EditorEdge, EditorNode } from './flow-doc.ts';
import { boundsOf, NODE_SIZE } from './layout.ts';

/** The smallest a node's title may be drawn, in screen pixels. */
export const MIN_TEXT_PX = 11;
/** The most a fit zooms in: a small flow is shown at its natural size, not blown up. */
const FIT_MAX_ZOOM = 1;
/** Room around a fitted flow, in screen pixels. */
const FIT_PADDING = 40;

let titlePx: number | undefined;

/** Every part of a node that draws text (FlowNodeView.tsx): the smallest of them sets the zoom floor. */
const NODE_TEXT_CLASSES = [
  'lf-node__title',
  'lf-node__sub',
  'lf-node__body',
  'lf-node__marker',
  'lf-node__run',
  'lf-node__off',
  'lf-port',
  'lf-note__head',
];

/**
 * The smallest font size of a node's text as the stylesheet sets it (title, id line, badges),
 * measured once on a hidden probe (so a change of styles.css moves the limit with it).
 */
export function nodeTextPx(): number {
  if (titlePx !== undefined) return titlePx;
  const probe = document.createElement('div');
  probe.className = 'lf-node';
  probe.style.cssText = 'position:absolute;visibility:hidden;pointer-events:none';
  const parts = NODE_TEXT_CLASSES.map((name) => {
    const part = document.createElement('span');
    part.className = name;
    part.textContent = 'M';
    probe.append(part);
    return part;
  });
  document.body.append(probe);
  const sizes = parts.map((part) => parseFloat(getComputedStyle(part).fontSize)).filter((px) => Number.isFinite(px) && px > 0);
  probe.remove();
  titlePx = sizes.length ? Math.min(...sizes) : 12;
  return titlePx;
}

/** The lowest zoom at which every node text is still {@link MIN_TEXT_PX} on screen. */
export function readableZoom(): number {
  return Math.min(FIT_MAX_ZOOM, MIN_TEXT_PX / nodeTextPx());
}

function boxOf(node: EditorNode): Box {
  return {
    x: node.position.x,
    y: node.position.y,
    width: node.measured?.width ?? NODE_SIZE.width,
    height: node.measured?.height ?? NODE_SIZE.height,
  };
}

/**
 * Shows the whole flow when it fits at a readable zoom; otherwise at the readable zoom, from the
 * flow's left end (and top), vertically centred when the height fits.
 */
export function fitReadable(
  flow: ReactFlowInstance<EditorNode, EditorEdge>,
  screen: { width: number; height: number },
  boxes: readonly Box[] = flow.getNodes().map(boxOf),
): void {
  const bounds = boundsOf(boxes);
  if (!bounds || screen.width <= 0 || screen.height <= 0) return;
  const room = { width: Math.max(screen.width - 2 * FIT_PADDING, 1), height: Math.max(screen.height - 2 * FIT_PADDING, 1) };
  const zoom = Math.max(readableZoom(), Math.min(FIT_MAX_ZOOM, room.width / bounds.width, room.height / bounds.height));
  const along = (size: number, roomSize: number, start: number, screenSize: number) =>
    size * zoom <= roomSize ? (screenSize - size * zoom) / 2 - start * zoom : FIT_PADDING - start * zoom;
  void flow.setViewport({
    x: along(bounds.width, room.width, bounds.x, screen.width),
    y: along(bounds.height, room.height, bounds.y, screen.height),
    zoom,
  });
}

/** What the open canvas lends the commands: the part of the flow it shows (flow coordinates) and its fit. */
export interface CanvasView {
  view(): Box | undefined;
  fit(): void;
  /** Centres a node in view (at least at the readable zoom). */
  centre(nodeId: string): void;
  /** Pans, at the same zoom, just enough to bring a box of the flow into view. */
  reveal(box: Box): void;
}

let canvas: CanvasView | undefined;

/** The canvas says how to read and fit what it shows; undefined when it closes. */
export function showView(view: CanvasView | undefined): void {
  canvas = view;
}

/** The part of the flow the canvas shows now, in flow coordinates; undefined with no canvas. */
export function viewInFlow(): Box | undefined {
  return canvas?.view();
}

/** Fits the open canvas to its flow, readably (after a tidy-up). */
export function fitCanvas(): void {
  canvas?.fit();
}

/** Centres a node of the open canvas in view. */
export function centreOn(nodeId: string): void {
  canvas?.centre(nodeId);
}

/** Brings a box of the flow into the open canvas's view (nodes just placed beside another). */
export function revealBox(box: Box): void {
  canvas?.reveal(box);
}
