/**
 * The flow's own settings (name, event, description) and every problem the validator found, each
 * leading to its node.
 */
import { FLOW_EVENTS } from '../../../core/domain/config.ts';
import type { FlowEvent } from '../../../core/domain/config.ts';
import { issueInWords } from '../../../core/flow/issue-words.ts';
import { useEditor } from '../canvas/store.ts';
import { WarningList } from './WarningList.tsx';
import { flowEdits, useFlowDocument, useFlowMeta } from '../canvas/document.ts';
import { eventName } from '../../../core/domain/event-names.ts';
import { showNode } from '../canvas/commands.ts';

const NO_NODES: never[] = [];

/** Every problem as a line naming the node by its title; a node's line selects and centres it. */
export function IssueList() {
  const issues = useEditor((s) => s.issues);
  const descriptors = useEditor((s) => s.descriptors);
  const nodes = useFlowDocument((s) => s.history?.present.nodes ?? NO_NODES);
  if (!issues.length) return <p className="lf-ok-line">✓ No problems found.</p>;
  const lookup = { get: (type: string) => descriptors.get(type) };
  return (
    <ul className="lf-issues" data-testid="flow-issues">
      {issues.map((issue, i) => {
        const words = issueInWords(issue, { nodes }, lookup);
        const known = issue.nodeId !== undefined && nodes.some((n) => n.id === issue.nodeId);
        return (
          <li key={i}>
            {known ? (
              <button
                type="button"
                className="lf-issue-line"
                onClick={() => showNode(issue.nodeId as string)}
                title="Show this node"
                data-issue-node={issue.nodeId}
              >
                <b>{words.node}:</b> {words.text.slice((words.node ?? '').length + 2)}
              </button>
            ) : (
              <span>
                <b>{words.node ?? 'Flow'}:</b> {words.text.slice((words.node ?? 'Flow').length + 2)}
              </span>
            )}
          </li>
        );
      })}
    </ul>
  );
}

export function FlowPanel() {
  const meta = useFlowMeta();
  const readOnly = useFlowDocument((s) => s.viewing !== null);
  const setMeta = flowEdits.setMeta;
  const descriptors = useEditor((s) => s.descriptors);
  if (!meta) return null;
  const startable = new Set([...descriptors.values()].flatMap((d) => (d.category === 'trigger' ? (d.events ?? []) : [])));
  return (
    <div className="lf-panel__section" data-testid="flow-panel">
      <h2>Flow</h2>
      <div className="lf-field">
        <label className="lf-field__label" htmlFor="flow-name">
          Name
        </label>
        <input
          id="flow-name"
          className="lf-input"
          value={meta.name}
          readOnly={readOnly}
          onChange={(e) => setMeta({ name: e.target.value })}
        />
      </div>
      <div className="lf-field">
        <label className="lf-field__label" htmlFor="flow-event">
          Runs on
        </label>
        <select
          id="flow-event"
          className="lf-input"
          value={meta.event}
          disabled={readOnly}
          onChange={(e) => setMeta({ event: e.target.value as FlowEvent })}
        >
          {FLOW_EVENTS.map((event) => (
            <option key={event} value={event} disabled={!startable.has(event) && event !== meta.event}>
              {eventName(event)}
              {startable.has(event) ? '' : ' (no trigger node yet)'}
            </option>
          ))}
        </select>
        <p className="lf-help">The event that starts this flow. The trigger node must fit it.</p>
      </div>
      <div className="lf-field">
        <label className="lf-field__label" htmlFor="flow-description">
          Notes
        </label>
        <textarea
          id="flow-description"
          className="lf-input"
          rows={3}
          value={meta.description ?? ''}
          readOnly={readOnly}
          placeholder="What this flow does, quirks of the target…"
          onChange={(e) => setMeta({ description: e.target.value || undefined })}
        />
      </div>
      <h3>Problems</h3>
      <IssueList />
      <WarningList />
    </div>
  );
}
