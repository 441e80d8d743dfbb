/**
 * The flow's own settings (name, event, description) and every problem the validator found, each
 * leading to its node.
 */
import { FLOW_EVENTS } from '../../../core/domain/config.ts';
import type { FlowEvent } from '../../../core/domain/config.ts';
import { useEditor } from '../canvas/store.ts';
import { WarningList } from './WarningList.tsx';
import { ProblemLine } from './ProblemLine.tsx';
import { flowEdits, useFlowDocument, useFlowMeta } from '../canvas/document.ts';
import { eventName } from '../../../core/domain/event-names.ts';

/** Every problem as a line naming the node by its title; a node's line selects and centres it. */
export function IssueList() {
  const issues = useEditor((s) => s.issues);
  if (!issues.length) return <p className="lf-ok-line">✓ No problems found.</p>;
  return (
    <ul className="lf-issues" data-testid="flow-issues">
      {issues.map((issue, i) => (
        <li key={i}>
          <ProblemLine issue={issue} />
        </li>
      ))}
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
