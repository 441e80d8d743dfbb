/**
 * Each node's params as they were when the last test run's result arrived, so a result shown
 * beside a script can say it came from an earlier version of it. Taken whenever the editor's run
 * changes, whoever set it (a test run, a run of one node).
 */
import { create } from 'zustand';
import { useEditor, type RunView } from '../canvas/store.ts';
import { currentDoc } from '../canvas/document.ts';

interface RunSnapshot {
  run: RunView | null;
  /** Params per node id, as JSON text. */
  params: Record<string, string>;
}

export const useRunSnapshot = create<RunSnapshot>()(() => ({ run: null, params: {} }));

useEditor.subscribe((state) => {
  if (state.run === useRunSnapshot.getState().run) return;
  const params: Record<string, string> = {};
  if (state.run) for (const node of currentDoc()?.nodes ?? []) params[node.id] = JSON.stringify(node.params);
  useRunSnapshot.setState({ run: state.run, params });
});

/** The params a node had when the last run's result came, or undefined when there is none. */
export function useParamsAtLastRun(nodeId: string): Record<string, unknown> | undefined {
  const text = useRunSnapshot((s) => (s.run ? s.params[nodeId] : undefined));
  return text === undefined ? undefined : (JSON.parse(text) as Record<string, unknown>);
}
