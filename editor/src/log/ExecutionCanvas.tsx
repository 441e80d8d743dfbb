/**
 * The flow version an execution ran, drawn read-only with the path it took: the editor's own canvas
 * and node view over the editor store, loaded with that version, marked as viewing (nothing can be
 * moved, connected or deleted) and given the execution as its run. Clicking a node picks its step.
 */
import { useEffect } from 'react';
import { ReactFlowProvider } from '@xyflow/react';
import type { Execution } from '../../../core/domain/execution.ts';
import { useVersion } from '../api/queries.ts';
import { useEditor } from '../canvas/store.ts';
import { useFlowDocument } from '../canvas/document.ts';
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
  const version = useVersion(execution.flowId, execution.flowVersion);
  const descriptors = useCatalog();
  const doc = version.data;
  const shown = useFlowDocument((s) => !!doc && s.viewing !== null && s.history?.present === doc);
  const state = version.error ? 'failed' : shown ? 'ready' : 'loading';

  useEffect(() => {
    if (!doc) return;
    useEditor.getState().setDescriptors([...descriptors.values()]);
    // viewing a version: the canvas refuses edits; there is no flow being edited to come back to
    useFlowDocument.getState().show(doc);
    useEditor.getState().reset();
    useEditor.getState().setRun({ execution }, doc.edges);
    return () => {
      // the document and UI stores are shared with the flow editor, which loads its own flow when opened
      useFlowDocument.getState().clear();
      useEditor.getState().reset();
    };
  }, [doc, execution, descriptors]);

  // the canvas follows the step chosen in the list, and the list follows a node clicked on the canvas
  const ready = state === 'ready';
  useEffect(() => {
    if (!ready) return;
    const first = (nodes: ReadonlySet<string>) => nodes.values().next().value;
    if (selectedNode && first(useEditor.getState().selectedNodes) !== selectedNode) useEditor.getState().selectOnly(selectedNode);
    return useEditor.subscribe((now, before) => {
      const clicked = first(now.selectedNodes);
      if (now.selectedNodes !== before.selectedNodes && clicked && clicked !== selectedNode) onSelectNode(clicked);
    });
  }, [ready, selectedNode, onSelectNode]);

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
