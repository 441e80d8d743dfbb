/**
 * The canvas: React Flow over the store's nodes and edges, taking nodes dropped from the palette,
 * with minimap, zoom controls and the keyboard: Delete, Ctrl+Z / Ctrl+Shift+Z (or Ctrl+Y),
 * Ctrl+C / Ctrl+X / Ctrl+V (nodes travel as JSON, so they paste into another flow or tab; a curl
 * command pasted here becomes nodes too).
 */
import { useCallback, useEffect, useMemo, useRef, type DragEvent } from 'react';
import {
  Background,
  BackgroundVariant,
  Controls,
  MarkerType,
  MiniMap,
  ReactFlow,
  useReactFlow,
  type Connection,
  type Edge,
  type IsValidConnection,
  type NodeTypes,
} from '@xyflow/react';
import { useEditor } from './store.ts';
import { FlowNodeView } from './FlowNodeView.tsx';
import type { ClipboardNodes } from './store.ts';
import type { EditorNode } from './flow-doc.ts';
import { parseClipboard } from './clipboard.ts';
import { importCurl } from '../curl/import.ts';

export const NODE_MIME = 'application/x-leadflow-node';

const defaultEdgeOptions = { markerEnd: { type: MarkerType.ArrowClosed, width: 16, height: 16 } };
const proOptions = { hideAttribution: true };
const snapGrid: [number, number] = [10, 10];
// readable first: a wide flow opens at a zoom where node titles can be read, the minimap shows the rest
const fitViewOptions = { maxZoom: 1, minZoom: 0.65, padding: 0.12 };
const minimapStyle = { width: 168, height: 110 };

function isTyping(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el) return false;
  return (
    el.tagName === 'INPUT' || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT' || el.isContentEditable || !!el.closest('.cm-editor')
  );
}

function minimapColor(node: EditorNode): string {
  const s = useEditor.getState();
  if (s.issuesByNode[node.id]) return '#dc2626';
  const step = s.run?.steps[node.id];
  if (step) return step.state === 'ok' ? '#16a34a' : '#dc2626';
  return '#94a3b8';
}

export function Canvas({ onSave }: { onSave: () => void }) {
  const nodes = useEditor((s) => s.nodes);
  const edges = useEditor((s) => s.edges);
  const descriptors = useEditor((s) => s.descriptors);
  const run = useEditor((s) => s.run);
  const viewing = useEditor((s) => s.viewing);
  const onNodesChange = useEditor((s) => s.onNodesChange);
  const onEdgesChange = useEditor((s) => s.onEdgesChange);
  const onConnect = useEditor((s) => s.onConnect);
  const flow = useReactFlow();
  const wrapper = useRef<HTMLDivElement>(null);

  // one component for every type; the map changes only when the catalog does
  const unknownTypes = useMemo(
    () => [...new Set(nodes.map((n) => n.type ?? '').filter((t) => !descriptors.has(t)))].sort().join('\n'),
    [nodes, descriptors],
  );
  const nodeTypes = useMemo<NodeTypes>(() => {
    const types: NodeTypes = {};
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
      useEditor.getState().addNode(type, { x: Math.round(at.x - 90), y: Math.round(at.y - 20) });
    },
    [flow],
  );

  const onNodeDragStart = useCallback(() => useEditor.getState().commit(), []);
  const onNodeClick = useCallback(() => useEditor.getState().setPanel('node'), []);
  const onPaneClick = useCallback(() => {
    const s = useEditor.getState();
    if (s.panel === 'node') s.setPanel('flow');
  }, []);
  const onConnectEdge = useCallback((c: Connection) => onConnect(c), [onConnect]);

  // keyboard and clipboard, while focus is on the canvas rather than in a field
  useEffect(() => {
    const centre = () => {
      const box = wrapper.current?.getBoundingClientRect();
      return box ? flow.screenToFlowPosition({ x: box.left + box.width / 2 - 100, y: box.top + box.height / 3 }) : undefined;
    };
    const onKey = (event: KeyboardEvent) => {
      if (isTyping(event.target)) return;
      const s = useEditor.getState();
      const mod = event.ctrlKey || event.metaKey;
      const key = event.key.toLowerCase();
      if (mod && key === 's') {
        event.preventDefault();
        onSave();
      } else if (mod && key === 'z' && !event.shiftKey) {
        event.preventDefault();
        s.undo();
      } else if (mod && ((key === 'z' && event.shiftKey) || key === 'y')) {
        event.preventDefault();
        s.redo();
      } else if (mod && key === 'a') {
        event.preventDefault();
        useEditor.setState((state) => ({ nodes: state.nodes.map((n) => (n.selected ? n : { ...n, selected: true })) }));
      } else if (event.key === 'Delete' || event.key === 'Backspace') {
        event.preventDefault();
        s.deleteSelected();
      }
    };
    const onCopy = (event: ClipboardEvent) => {
      if (isTyping(event.target) || window.getSelection()?.toString()) return;
      const clip = useEditor.getState().copySelection();
      if (!clip || !event.clipboardData) return;
      event.preventDefault();
      event.clipboardData.setData('text/plain', JSON.stringify(clip, null, 2));
      if (event.type === 'cut') useEditor.getState().deleteSelected();
    };
    const onPaste = (event: ClipboardEvent) => {
      if (isTyping(event.target)) return;
      const text = event.clipboardData?.getData('text/plain') ?? '';
      const clip: ClipboardNodes | null = parseClipboard(text);
      if (clip) {
        event.preventDefault();
        useEditor.getState().paste(clip);
        return;
      }
      if (/^\s*curl\s/.test(text)) {
        event.preventDefault();
        importCurl(text, centre());
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
      <ReactFlow<EditorNode>
        nodes={nodes}
        edges={shownEdges}
        nodeTypes={nodeTypes}
        onNodesChange={onNodesChange}
        onEdgesChange={onEdgesChange}
        onConnect={onConnectEdge}
        onNodeDragStart={onNodeDragStart}
        onNodeClick={onNodeClick}
        onPaneClick={onPaneClick}
        isValidConnection={isValidConnection}
        defaultEdgeOptions={defaultEdgeOptions}
        nodesDraggable={!viewing}
        nodesConnectable={!viewing}
        deleteKeyCode={null}
        snapToGrid
        snapGrid={snapGrid}
        fitView
        fitViewOptions={fitViewOptions}
        minZoom={0.1}
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
        <Controls showInteractive={false} />
      </ReactFlow>
    </div>
  );
}
