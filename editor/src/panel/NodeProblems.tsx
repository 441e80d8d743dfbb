/**
 * The selected node's own problems and warnings, in words (the kernel's `fieldInWords`): those of
 * a parameter show under its field; the rest (its connections, exits, settings) and its warnings
 * are listed at the top of its panel — "exit “http_error” is not connected", never a field path.
 */
import type { FlowIssue } from '../../../core/flow/format.ts';
import type { NodeDescriptor } from '../../../core/node/contract.ts';
import { fieldInWords } from '../../../core/flow/issue-words.ts';
import { useEditor } from '../canvas/store.ts';

const lookupOf = (descriptor: NodeDescriptor) => ({ get: (type: string) => (type === descriptor.type ? descriptor : undefined) });

/** A problem's field in words, as its line reads ("input", "exit “error”", "Headers row 2 key"). */
export function problemField(issue: FlowIssue, descriptor: NodeDescriptor): string {
  return fieldInWords(issue.field, { type: descriptor.type }, lookupOf(descriptor));
}

/** Under a parameter's field: what of it is wrong, the field's own label left out ("row 2 key: is empty"). */
export function paramProblemText(issue: FlowIssue, param: string, descriptor: NodeDescriptor): string {
  if (issue.field === `params.${param}`) return issue.message;
  const label = descriptor.params[param]?.label ?? param;
  const words = problemField(issue, descriptor);
  const rest = words.startsWith(`${label} `) ? words.slice(label.length + 1) : words;
  return `${rest}: ${issue.message}`;
}

export function NodeProblems({ nodeId, issues, descriptor }: { nodeId: string; issues: FlowIssue[]; descriptor: NodeDescriptor }) {
  const allWarnings = useEditor((s) => s.warnings);
  const warnings = allWarnings.filter((w) => w.nodeId === nodeId);
  if (!issues.length && !warnings.length) return null;
  const line = (issue: FlowIssue, i: number) => {
    const field = problemField(issue, descriptor);
    return (
      <li key={i}>
        {field && <b>{field}</b>} {issue.message}
      </li>
    );
  };
  return (
    <>
      {issues.length > 0 && (
        <ul className="lf-issues" data-testid="node-issues">
          {issues.map(line)}
        </ul>
      )}
      {warnings.length > 0 && (
        <ul className="lf-issues lf-issues--warn" data-testid="node-warnings" aria-label="Worth a look">
          {warnings.map(line)}
        </ul>
      )}
    </>
  );
}
