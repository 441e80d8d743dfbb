/**
 * The last test run in a few lines: how it ended (succeeded, failed, or stopped before sending
 * with the request it would have sent), each node it reached, the nodes it did not reach, and
 * what each Update Lead would have done.
 */
import { useEffect, useRef } from 'react';
import type { FlowNode } from '../../../core/domain/flow.ts';
import type { ExecutionState } from '../../../core/domain/execution.ts';
import { useEditor, type RunView } from '../canvas/store.ts';
import { formatMs } from '../canvas/look.ts';
import { WouldSendView } from './StepDetails.tsx';

/** How a test run ended, in words and a tone. */
export const RUN_ENDS: Record<ExecutionState, { tone: string; text: string }> = {
  success: { tone: 'ok', text: 'succeeded' },
  error: { tone: 'error', text: 'failed' },
  waiting: { tone: 'warn', text: 'waiting for the target' },
  stopped: { tone: 'warn', text: 'stopped before sending' },
};

export function RunSummary({ run, nodes }: { run: RunView; nodes: readonly FlowNode[] }) {
  const execution = run.answer.execution;
  const reached = new Set(execution.steps.map((st) => st.nodeId));
  const skipped = nodes.filter((n) => !reached.has(n.id));
  const end = RUN_ENDS[execution.state];
  const stopped = run.answer.stopped;
  // the request a dry run stopped at is what the integrator ran it for: brought into view
  const wouldSend = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (stopped) wouldSend.current?.scrollIntoView({ block: 'start' });
  }, [execution.id, stopped]);
  return (
    <div className="lf-run-summary" data-testid="run-summary">
      <h3>
        <span className={`lf-pill lf-pill--${end.tone} lf-nowrap`} data-testid="run-end">
          {end.text}
        </span>{' '}
        <span className="lf-muted">
          {formatMs(execution.durationMs)} · execution #{execution.id}
        </span>
        <button type="button" className="lf-link-btn" onClick={() => useEditor.getState().setRun(null)}>
          Clear
        </button>
      </h3>
      {stopped && (
        <div ref={wouldSend}>
          <p>
            The run stopped at{' '}
            <button type="button" className="lf-link-btn" onClick={() => useEditor.getState().selectOnly(stopped.nodeId)}>
              {stopped.nodeId}
            </button>{' '}
            before its request left. This is what it would send:
          </p>
          <WouldSendView request={stopped.request} />
        </div>
      )}
      {run.answer.error && (
        <p className="lf-field__error">
          {run.answer.error.nodeId ? `${run.answer.error.nodeId}: ` : ''}
          {run.answer.error.message}
          {run.answer.error.retryable ? ' (temporary: a real delivery would be retried)' : ''}
        </p>
      )}
      {run.answer.response && (
        <details open>
          <summary>Answer to the caller (HTTP {run.answer.response.status})</summary>
          <pre className="lf-pre">{JSON.stringify(run.answer.response.body, null, 2)}</pre>
        </details>
      )}
      <ol className="lf-steps">
        {execution.steps.map((step, i) => (
          <li key={i} className={`is-${step.state}`}>
            <button type="button" className="lf-link-btn" onClick={() => useEditor.getState().selectOnly(step.nodeId)}>
              {step.nodeId}
            </button>
            <span className="lf-muted">
              {step.pinned
                ? 'pinned'
                : step.state === 'stopped'
                  ? 'stopped before sending'
                  : step.state === 'ok'
                    ? step.port && step.port !== 'out'
                      ? `→ ${step.port}`
                      : 'ok'
                    : (step.error?.code ?? 'failed')}{' '}
              · {formatMs(step.durationMs)}
            </span>
          </li>
        ))}
      </ol>
      {skipped.length > 0 && <p className="lf-muted">Not reached: {skipped.map((n) => n.id).join(', ')}</p>}
      {(run.answer.updates?.length ?? 0) > 0 && (
        <details open data-testid="run-updates">
          <summary>What Update Lead would do (nothing was changed)</summary>
          <ul className="lf-steps">
            {run.answer.updates?.map((u, i) => (
              <li key={i}>
                {u.by === 'lead' ? 'this lead' : `${u.by} ${u.by === 'oid' ? u.oid : u.eid}`}:{' '}
                {!u.lead
                  ? 'no such lead'
                  : u.stageChanged
                    ? `lead #${u.lead.id} ${u.stageBefore} → ${u.stageAfter}`
                    : `lead #${u.lead.id} stays ${u.stageBefore}`}
                {u.status ? (
                  <span className="lf-muted">
                    {' '}
                    · status {u.status}
                    {u.statusCode ? ` (${u.statusCode})` : ''}
                  </span>
                ) : null}
              </li>
            ))}
          </ul>
        </details>
      )}
      <p className="lf-help">Click a node to see its input, output and the HTTP request and answer, or to pin its output.</p>
    </div>
  );
}
