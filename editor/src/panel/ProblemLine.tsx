/**
 * One validation problem or warning as the integrator reads it (the kernel's `issueInWords`): the
 * node by its title, the field in words. A line of a node on the canvas selects and centres it.
 */
import type { FlowIssue } from '../../../core/flow/format.ts';
import type { FlowNode } from '../../../core/domain/flow.ts';
import { issueInWords } from '../../../core/flow/issue-words.ts';
import { useEditor } from '../canvas/store.ts';
import { useFlowDocument } from '../canvas/document.ts';
import { showNode } from '../canvas/commands.ts';

const NO_NODES: FlowNode[] = [];

/** The problem's words for the open flow, with the catalog's titles and labels. */
export function useIssueWords(): (issue: FlowIssue) => ReturnType<typeof issueInWords> {
  const descriptors = useEditor((s) => s.descriptors);
  const nodes = useFlowDocument((s) => s.history?.present.nodes ?? NO_NODES);
  const lookup = { get: (type: string) => descriptors.get(type) };
  return (issue) => issueInWords(issue, { nodes }, lookup);
}

export function ProblemLine({ issue }: { issue: FlowIssue }) {
  const words = useIssueWords()(issue);
  const known = useFlowDocument(
    (s) => issue.nodeId !== undefined && (s.history?.present.nodes ?? NO_NODES).some((n) => n.id === issue.nodeId),
  );
  const name = words.node ?? 'Flow';
  const rest = words.text.slice(name.length + 2);
  return known ? (
    <button
      type="button"
      className="lf-issue-line"
      onClick={() => showNode(issue.nodeId as string)}
      title="Show this node"
      data-issue-node={issue.nodeId}
    >
      <b>{name}:</b> {rest}
    </button>
  ) : (
    <span>
      <b>{name}:</b> {rest}
    </span>
  );
}
