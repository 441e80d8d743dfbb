/**
 * The flow version an execution ran, drawn read-only with the path it took: the editor's own canvas
 * and node view over the editor store, loaded with that version, marked as viewing (nothing can be
 * moved, connected or deleted) and given the execution as its run. Clicking a node picks its step.
 */
import { useEffect, useState } from 'react';
import { ReactFlowProvider } from '@xyflow/react';
import type { Execution } from '../../../core/domain/execution.ts';
import { api } from '../api/client.ts';
import { useEditor } from '../canvas/store.ts';
import { useCatalog } from '../catalog/catalog.ts';
import { Canvas } from '../canvas/Canvas.tsx';

const noSave = () => {};

export function ExecutionCanvas({
  execution,
  selectedNode,
  onSelectNode,
}: {
  execution: Execution;
  selectedNode?: string;
  onSelectNode(nodeId: string): void;
}) {
  const [state, setState] = useState<'loading' | 'ready' | 'failed'>('loading');
  const clicked = useEditor((s) => (state === 'ready' ? s.nodes.find((n) => n.selected)?.id : undefined));

  useEffect(() => {
    let stale = false;
    api.version(execution.flowId, execution.flowVersion).then(
      (doc) => {
        if (stale) return;
        const s = useEditor.getState();
        s.setDescriptors([...useCatalog.getState().descriptors.values()]);
        s.load(doc);
        // viewing a version: the canvas refuses edits; there is no flow being edited to come back to
        const { nodes: _nodes, edges: _edges, ...meta } = doc;
        useEditor.setState({ viewing: { version: doc.version, stash: { nodes: [], edges: [], meta, dirty: false } } });
        s.setRun({ execution });
        setState('ready');
      },
      () => !stale && setState('failed'),
    );
    return () => {
      stale = true;
      // the editor store is shared with the flow editor, which loads its own flow when opened
      useEditor.setState({ run: null, viewing: null, meta: null, nodes: [], edges: [] });
    };
  }, [execution]);

  // the canvas follows the step chosen in the list, and the list follows a node clicked on the canvas
  useEffect(() => {
    if (state === 'ready' && selectedNode && useEditor.getState().nodes.find((n) => n.selected)?.id !== selectedNode)
      useEditor.getState().selectOnly(selectedNode);
  }, [state, selectedNode]);
  useEffect(() => {
    if (clicked && clicked !== selectedNode) onSelectNode(clicked);
    // eslint-disable-next-line react-hooks/exhaustive-deps -- only a new click moves the list; a step picked in the list must not bounce back
  }, [clicked]);

  if (state === 'failed')
    return (
      <p className="lf-muted">
        Version {execution.flowVersion} of the flow “{execution.flowId}” could not be loaded to draw the path.
      </p>
    );
  return (
    <div className="lf-exec-canvas" data-testid="execution-canvas">
      {state === 'loading' ? (
        <div className="lf-center lf-muted">Loading the flow…</div>
      ) : (
        <ReactFlowProvider>
          <Canvas onSave={noSave} />
        </ReactFlowProvider>
      )}
    </div>
  );
}
