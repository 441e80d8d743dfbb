/**
 * The canvas: React Flow over the store's nodes, notes and edges, taking nodes dropped from the
 * palette, with minimap, zoom controls (never below the readable zoom, `view.ts`), Tidy up, the
 * right-click menu and the keyboard: Ctrl/Cmd+S anywhere on the page, and while focus is on the
 * canvas Delete, Ctrl+Z / Ctrl+Shift+Z (or Ctrl+Y), Ctrl+C / Ctrl+X / Ctrl+V (nodes travel as JSON,
 * so they paste into another flow or tab; a curl command pasted here opens the curl import on it).
 * A flow just opened is laid out when it needs it (`layout.ts`) and fitted.
 */
import { useCallback, useEffect, useMemo, useRef, useState, type DragEvent, type MouseEvent as ReactMouseEvent } from 'react';
import {
  Background,
  BackgroundVariant,
  ControlButton,
  Controls,
  MarkerType,
  MiniMap,
  Panel,
  ReactFlow,
  useNodesInitialized,
  useReactFlow,
  type Connection,
  type Edge,
  type IsValidConnection,
  type Node,
  type NodeTypes,
} from '@xyflow/react';
import type { FlowEdge, FlowNode, FlowNote } from '../../../core/domain/flow.ts';
import { useEditor } from './store.ts';
import { useFlowDocument } from './document.ts';
import { editorNode, minimapColor, noteNode, onEdgesChange, onNodesChange, type CanvasNode } from './canvas-nodes.ts';
import { FlowNodeView } from './FlowNodeView.tsx';
import { NOTE_TYPE, noteIdOf, noteNodeId, toEditorEdge, type EditorEdge, type EditorNode } from './flow-doc.ts';
import { NoteView } from './NoteView.tsx';
import { CanvasMenu, type MenuRequest } from './CanvasMenu.tsx';
import { parseClipboard, type ClipboardNodes } from './clipboard.ts';
import { addNodeAt, connectNodes, copySelection, deleteSelected, nodeBoxes, paste, selectAll, tidyUp } from './commands.ts';
import { openCurlImport } from '../curl/import.ts';
import { boxesOf, needsLayout, NODE_SIZE } from './layout.ts';
import { fitReadable, readableZoom, showView } from './view.ts';

export const NODE_MIME = 'application/x-leadflow-node';

const defaultEdgeOptions = { markerEnd: { type: MarkerType.ArrowClosed, width: 16, height: 16 } };
const proOptions = { hideAttribution: true };
const snapGrid: [number, number] = [10, 10];
const minimapStyle = { width: 168, height: 110 };

function isTyping(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el) return false;
  return (
    el.tagName === 'INPUT' || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT' || el.isContentEditable || !!el.closest('.cm-editor')
  );
}

const NO_NODES: FlowNode[] = [];
const NO_EDGES: FlowEdge[] = [];
const NO_NOTES: FlowNote[] = [];

export function Canvas({ onSave }: { onSave: () => void }) {
  const docNodes = useFlowDocument((s) => s.history?.present.nodes ?? NO_NODES);
  const docEdges = useFlowDocument((s) => s.history?.present.edges ?? NO_EDGES);
  const docNotes = useFlowDocument((s) => s.history?.present.notes ?? NO_NOTES);
  const [menu, setMenu] = useState<MenuRequest | null>(null);
  const closeMenu = useCallback(() => setMenu(null), []);
  const viewing = useFlowDocument((s) => s.viewing);
  const selectedNodes = useEditor((s) => s.selectedNodes);
  const selectedEdges = useEditor((s) => s.selectedEdges);
  const measured = useEditor((s) => s.measured);
  const descriptors = useEditor((s) => s.descriptors);
  const run = useEditor((s) => s.run);
  const flow = useReactFlow<EditorNode, EditorEdge>();
  const opened = useFlowDocument((s) => s.opened);
  const nodesReady = useNodesInitialized();
  // readable first: never zoomed out below the zoom at which node titles are 11 px; a large flow scrolls
  const minZoom = useMemo(() => readableZoom(), []);

  const nodes = useMemo<CanvasNode[]>(
    () => [
      ...docNotes.map((n) => noteNode(n, selectedNodes.has(noteNodeId(n.id)))),
      ...docNodes.map((n) => editorNode(n, selectedNodes.has(n.id), measured[n.id])),
    ],
    [docNodes, docNotes, selectedNodes, measured],
  );
  const edges = useMemo(() => docEdges.map((e) => ({ ...toEditorEdge(e), selected: selectedEdges.has(e.id) })), [docEdges, selectedEdges]);
  const wrapper = useRef<HTMLDivElement>(null);

  // one component for every type; the map changes only when the catalog does
  const unknownTypes = useMemo(
    () => [...new Set(nodes.map((n) => n.type ?? '').filter((t) => t !== NOTE_TYPE && !descriptors.has(t)))].sort().join('\n'),
    [nodes, descriptors],
  );
  const nodeTypes = useMemo<NodeTypes>(() => {
    const types: NodeTypes = { [NOTE_TYPE]: NoteView };
    for (const type of descriptors.keys()) types[type] = FlowNodeView;
    for (const type of unknownTypes.split('\n')) if (type) types[type] = FlowNodeView;
    return types;
  }, [descriptors, unknownTypes]);

  const shownEdges = useMemo<Edge[]>(() => {
    if (!run) return edges;
    return edges.map((e) =>
      run.edgesTaken.has(e.id) ? { ...e, className: 'edge-taken', animated: true } : { ...e, className: 'edge-idle' },
    );
  }, [edges, run]);

  const isValidConnection = useCallback<IsValidConnection>((c) => c.source !== c.target, []);

  const onDragOver = useCallback((event: DragEvent) => {
    if (event.dataTransfer.types.includes(NODE_MIME)) {
      event.preventDefault();
      event.dataTransfer.dropEffect = 'move';
    }
  }, []);

  const onDrop = useCallback(
    (event: DragEvent) => {
      const type = event.dataTransfer.getData(NODE_MIME);
      if (!type) return;
      event.preventDefault();
      const at = flow.screenToFlowPosition({ x: event.clientX, y: event.clientY });
      addNodeAt(type, { x: Math.round(at.x - 90), y: Math.round(at.y - 20) });
    },
    [flow],
  );

  // the commands place new nodes in the part of the flow shown, and fit after a tidy-up
  const fit = useCallback(() => {
    const doc = useFlowDocument.getState().history?.present;
    const box = wrapper.current?.getBoundingClientRect();
    if (doc && box) fitReadable(flow, box, boxesOf(nodeBoxes(doc)));
  }, [flow]);
  useEffect(() => {
    const view = () => {
      const box = wrapper.current?.getBoundingClientRect();
      if (!box || !box.width) return undefined;
      const from = flow.screenToFlowPosition({ x: box.left, y: box.top });
      const to = flow.screenToFlowPosition({ x: box.right, y: box.bottom });
      return { x: from.x, y: from.y, width: to.x - from.x, height: to.y - from.y };
    };
    showView({
      view,
      reveal: (box) => {
        const shown = view();
        if (!shown) return;
        const pad = 40 / flow.getZoom();
        const shift = (start: number, size: number, viewStart: number, viewSize: number) =>
          start + size > viewStart + viewSize
            ? Math.min(start + size - (viewStart + viewSize) + pad, start - viewStart - pad)
            : start < viewStart
              ? start - viewStart - pad
              : 0;
        const dx = shift(box.x, box.width, shown.x, shown.width);
        const dy = shift(box.y, box.height, shown.y, shown.height);
        if (!dx && !dy) return;
        const { x, y, zoom } = flow.getViewport();
        void flow.setViewport({ x: x - dx * zoom, y: y - dy * zoom, zoom }, { duration: 200 });
      },
      fit,
      centre: (nodeId) => {
        const node = useFlowDocument.getState().history?.present.nodes.find((n) => n.id === nodeId);
        if (!node) return;
        const size = useEditor.getState().measured[nodeId] ?? NODE_SIZE;
        const zoom = Math.max(flow.getZoom(), minZoom);
        void flow.setCenter(node.position.x + size.width / 2, node.position.y + size.height / 2, { zoom, duration: 200 });
      },
    });
    return () => showView(undefined);
  }, [flow, fit, minZoom]);
  // a flow just opened is laid out when its nodes overlap or were never placed, then fitted: once
  // React Flow has measured every node, so the check uses the sizes drawn
  const fitted = useRef(-1);
  useEffect(() => {
    if (!nodesReady || fitted.current === opened) return;
    fitted.current = opened;
    const doc = useFlowDocument.getState().history?.present;
    if (doc && needsLayout(nodeBoxes(doc))) tidyUp(false);
    else fit();
  }, [nodesReady, opened, fit]);

  const onNodeDragStart = useCallback(() => useFlowDocument.getState().beginMove(), []);
  const onNodeClick = useCallback((_: ReactMouseEvent, clicked: Node) => {
    if (clicked.type !== NOTE_TYPE) useEditor.getState().setPanel('node');
  }, []);
  const onNodeContextMenu = useCallback(
    (event: ReactMouseEvent, clicked: Node) => {
      event.preventDefault();
      if (useFlowDocument.getState().viewing) return;
      const noteId = noteIdOf(clicked.id);
      const flowAt = flow.screenToFlowPosition({ x: event.clientX, y: event.clientY });
      setMenu({ screen: { x: event.clientX, y: event.clientY }, flow: flowAt, ...(noteId ? { noteId } : { nodeId: clicked.id }) });
    },
    [flow],
  );
  const onPaneContextMenu = useCallback(
    (event: ReactMouseEvent | MouseEvent) => {
      event.preventDefault();
      if (useFlowDocument.getState().viewing) return;
      const flowAt = flow.screenToFlowPosition({ x: event.clientX, y: event.clientY });
      setMenu({ screen: { x: event.clientX, y: event.clientY }, flow: { x: Math.round(flowAt.x), y: Math.round(flowAt.y) } });
    },
    [flow],
  );
  const onPaneClick = useCallback(() => {
    const s = useEditor.getState();
    if (s.panel === 'node') s.setPanel('flow');
  }, []);
  const onConnectEdge = useCallback((c: Connection) => void connectNodes(c), []);

  // keyboard and clipboard, while focus is on the canvas rather than in a field
  useEffect(() => {
    const centre = () => {
      const box = wrapper.current?.getBoundingClientRect();
      return box ? flow.screenToFlowPosition({ x: box.left + box.width / 2 - 100, y: box.top + box.height / 3 }) : undefined;
    };
    const onKey = (event: KeyboardEvent) => {
      const mod = event.ctrlKey || event.metaKey;
      const key = event.key.toLowerCase();
      // saving works from anywhere on the page, a field of a panel included, and never opens the browser's own dialog
      if (mod && key === 's' && !event.altKey) {
        event.preventDefault();
        onSave();
        return;
      }
      if (isTyping(event.target)) return;
      const s = useFlowDocument.getState();
      if (mod && key === 'z' && !event.shiftKey) {
        event.preventDefault();
        s.undo();
      } else if (mod && ((key === 'z' && event.shiftKey) || key === 'y')) {
        event.preventDefault();
        s.redo();
      } else if (mod && key === 'a') {
        event.preventDefault();
        selectAll();
      } else if (event.key === 'Delete' || event.key === 'Backspace') {
        event.preventDefault();
        deleteSelected();
      }
    };
    const onCopy = (event: ClipboardEvent) => {
      if (isTyping(event.target) || window.getSelection()?.toString()) return;
      const clip = copySelection();
      if (!clip || !event.clipboardData) return;
      event.preventDefault();
      event.clipboardData.setData('text/plain', JSON.stringify(clip, null, 2));
      if (event.type === 'cut') deleteSelected();
    };
    const onPaste = (event: ClipboardEvent) => {
      if (isTyping(event.target)) return;
      const text = event.clipboardData?.getData('text/plain') ?? '';
      const clip: ClipboardNodes | null = parseClipboard(text);
      if (clip) {
        event.preventDefault();
        paste(clip, centre());
        return;
      }
      if (/^\s*curl\s/.test(text)) {
        event.preventDefault();
        openCurlImport(text, centre());
      }
    };
    window.addEventListener('keydown', onKey);
    document.addEventListener('copy', onCopy);
    document.addEventListener('cut', onCopy);
    document.addEventListener('paste', onPaste);
    return () => {
      window.removeEventListener('keydown', onKey);
      document.removeEventListener('copy', onCopy);
      document.removeEventListener('cut', onCopy);
      document.removeEventListener('paste', onPaste);
    };
  }, [flow, onSave]);

  return (
    <div className={`lf-canvas${viewing ? ' is-readonly' : ''}`} ref={wrapper} onDragOver={onDragOver} onDrop={onDrop} data-testid="canvas">
      <ReactFlow<CanvasNode>
        nodes={nodes}
        edges={shownEdges}
        nodeTypes={nodeTypes}
        onNodesChange={onNodesChange}
        onEdgesChange={onEdgesChange}
        onConnect={onConnectEdge}
        onNodeDragStart={onNodeDragStart}
        onNodeClick={onNodeClick}
        onNodeContextMenu={onNodeContextMenu}
        onPaneContextMenu={onPaneContextMenu}
        onPaneClick={onPaneClick}
        isValidConnection={isValidConnection}
        defaultEdgeOptions={defaultEdgeOptions}
        nodesDraggable={!viewing}
        nodesConnectable={!viewing}
        deleteKeyCode={null}
        snapToGrid
        snapGrid={snapGrid}
        minZoom={minZoom}
        maxZoom={2}
        proOptions={proOptions}
      >
        <Background variant={BackgroundVariant.Dots} gap={20} size={1} color="#cbd5e1" />
        <MiniMap
          pannable
          zoomable
          nodeColor={minimapColor}
          nodeStrokeWidth={2}
          ariaLabel="Minimap"
          style={minimapStyle}
          maskColor="rgb(241 245 249 / 0.7)"
        />
        <Controls showInteractive={false} showFitView={false}>
          <ControlButton onClick={fit} title="Fit view" aria-label="Fit view" className="react-flow__controls-fitview">
            <svg viewBox="0 0 32 30" aria-hidden="true">
              <path d="M3.692 4.63c0-.53.4-.938.939-.938h5.215V0H4.708C2.13 0 0 2.054 0 4.63v5.216h3.692V4.631zM27.354 0h-5.2v3.692h5.17c.53 0 .984.4.984.939v5.215H32V4.631A4.624 4.624 0 0027.354 0zm.954 24.83c0 .532-.4.94-.939.94h-5.215v3.768h5.215c2.577 0 4.631-2.13 4.631-4.707v-5.139h-3.692v5.139zm-23.677.94c-.531 0-.939-.4-.939-.94v-5.138H0v5.139c0 2.577 2.13 4.707 4.708 4.707h5.138V25.77H4.631z" />
            </svg>
          </ControlButton>
        </Controls>
        {!viewing && (
          <Panel position="top-right">
            <button
              type="button"
              className="lf-btn lf-btn--small"
              onClick={() => tidyUp()}
              title="Lay the flow out left to right, nothing on top of anything"
              data-testid="tidy-up"
            >
              Tidy up
            </button>
          </Panel>
        )}
      </ReactFlow>
      {menu && <CanvasMenu request={menu} onClose={closeMenu} />}
    </div>
  );
}
