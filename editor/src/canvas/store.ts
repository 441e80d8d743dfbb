/**
 * The editor's UI state (zustand, as React Flow itself uses): the node catalog, what is selected,
 * the sizes React Flow measured, validation issues, the last test run's display, which side panel
 * shows and which integration test runs use. The flow document itself and its undo history are in
 * `document.ts`; the commands in `commands.ts` change both together.
 */
import { create } from 'zustand';
import type { NodeDescriptor } from '../../../core/node/contract.ts';
import type { FlowEdge } from '../../../core/domain/flow.ts';
import type { FlowIssue } from '../../../core/flow/validate.ts';
import type { StepRecord } from '../../../core/domain/execution.ts';
import type { TestRunAnswer } from '../api/client.ts';

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

const NONE: ReadonlySet<string> = new Set();

export interface EditorState {
  descriptors: Map<string, NodeDescriptor>;
  /** Ids of the selected nodes and edges. */
  selectedNodes: ReadonlySet<string>;
  selectedEdges: ReadonlySet<string>;
  /** Node sizes as React Flow measured them, by node id. */
  measured: Record<string, { width: number; height: number }>;
  issues: FlowIssue[];
  issuesByNode: Record<string, FlowIssue[]>;
  /** What validation warns about without making the flow invalid (an error exit left unconnected). */
  warnings: FlowIssue[];
  run: RunView | null;
  panel: PanelTab;
  /** The integration test runs use, and whose settings, secrets and offers completion offers. */
  testIntegration: string;

  setDescriptors(list: NodeDescriptor[]): void;
  /** Back to nothing selected, measured, run or flagged: a new document was opened. */
  reset(): void;
  select(nodes: Iterable<string>, edges?: Iterable<string>): void;
  selectOnly(nodeId: string | null): void;
  setIssues(issues: FlowIssue[]): void;
  setWarnings(warnings: FlowIssue[]): void;
  setRun(answer: TestRunAnswer | null, edges?: readonly FlowEdge[]): void;
  setPanel(tab: PanelTab): void;
  setTestIntegration(id: string): void;
}

export const useEditor = create<EditorState>()((set) => ({
  descriptors: new Map(),
  selectedNodes: NONE,
  selectedEdges: NONE,
  measured: {},
  issues: [],
  issuesByNode: {},
  warnings: [],
  run: null,
  panel: 'flow',
  testIntegration: '',

  setDescriptors(list) {
    set({ descriptors: new Map(list.map((d) => [d.type, d])) });
  },

  reset() {
    set({ selectedNodes: NONE, selectedEdges: NONE, measured: {}, issues: [], issuesByNode: {}, warnings: [], run: null, panel: 'flow' });
  },

  select(nodes, edges = []) {
    set({ selectedNodes: new Set(nodes), selectedEdges: new Set(edges) });
  },

  selectOnly(nodeId) {
    set((state) => ({ selectedNodes: nodeId ? new Set([nodeId]) : NONE, selectedEdges: NONE, panel: nodeId ? 'node' : state.panel }));
  },

  setIssues(issues) {
    const issuesByNode: Record<string, FlowIssue[]> = {};
    for (const issue of issues) if (issue.nodeId) (issuesByNode[issue.nodeId] ??= []).push(issue);
    set({ issues, issuesByNode });
  },

  setWarnings(warnings) {
    set({ warnings });
  },

  setRun(answer, edges = []) {
    if (!answer) {
      set({ run: null });
      return;
    }
    const steps: Record<string, StepRecord> = {};
    for (const step of answer.execution.steps) steps[step.nodeId] = step;
    const edgesTaken = new Set<string>();
    for (const edge of edges) {
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
}));

/** The descriptor of a node type, or undefined for a type the runtime does not know. */
export function useDescriptor(type: string | undefined): NodeDescriptor | undefined {
  return useEditor((s) => (type ? s.descriptors.get(type) : undefined));
}

/** The selected node's id (the first selected, when there are several). */
export function useSelectedNode(): string | undefined {
  return useEditor((s) => s.selectedNodes.values().next().value);
}
