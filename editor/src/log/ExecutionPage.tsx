/**
 * One execution, node by node: the steps in the order they ran (a failed one in red), and for the
 * chosen step its input, output, error and HTTP exchanges — the test run's own views. On request
 * (and at once when opened from a flow's log) the flow version it ran is drawn read-only with the
 * path it took; the canvas is a chunk of its own, loaded only then.
 */
import { lazy, Suspense, useEffect, useState } from 'react';
import type { StepRecord } from '../../../core/domain/execution.ts';
import { api, ApiError, type RerunAnswer } from '../api/client.ts';
import { useExecution } from '../api/queries.ts';
import { useRunAgain } from '../api/mutations.ts';
import { notify } from '../app/notices.ts';
import { hrefOf, useHashQuery } from '../app/route.ts';
import { formatMs } from '../canvas/look.ts';
import { formatTime } from '../app/time.ts';
import { StepDetails } from '../runs/StepDetails.tsx';
import { ExecutionState, RunLeads } from './ExecutionTable.tsx';
import { FailingAnswer } from './FailingAnswer.tsx';
import { EventName } from '../app/EventName.tsx';
import { resendsPastNew, runAgainQuestion } from './run-again.ts';

const ExecutionCanvas = lazy(() => import('./ExecutionCanvas.tsx').then((m) => ({ default: m.ExecutionCanvas })));

/** The step to show first: the one that failed, else the first that talked to a target, else the first. */
function firstInteresting(steps: StepRecord[]): number {
  const failed = steps.findIndex((s) => s.state === 'error');
  if (failed >= 0) return failed;
  const http = steps.findIndex((s) => s.http.length > 0);
  return http >= 0 ? http : 0;
}

export function ExecutionPage({ executionId }: { executionId: number }) {
  const query = new URLSearchParams(useHashQuery());
  const answer = useExecution(executionId);
  const runAgainMutation = useRunAgain();
  const busy = runAgainMutation.isPending;
  const execution = answer.data ?? null;
  const error = answer.error;
  const missing = error instanceof ApiError && error.status === 404 ? `No execution #${executionId}.` : '';
  const [chosen, setSelected] = useState<number | null>(null);
  const [canvas, setCanvas] = useState(query.get('canvas') === '1');

  useEffect(() => {
    if (error && !missing) notify('error', `Could not load the execution: ${error.message}`);
  }, [error, missing]);

  if (missing)
    return (
      <div className="lf-page">
        <p>{missing}</p>
        <a href="#/log">The integration log</a>
      </div>
    );
  if (!execution) return <div className="lf-page lf-muted">Loading…</div>;
  const x = execution;
  const selected = chosen ?? firstInteresting(x.steps);
  const step = x.steps[selected];

  /**
   * Re-run on the current version, or retry from the failed node; then open the new execution. A
   * re-run the runtime will not do unasked (a `lead.new` of a lead past `new`: it would send the
   * lead again) is asked once more here, in the runtime's words, which name the lead's stage.
   */
  const runAgain = async (how: 'rerun' | 'retry') => {
    try {
      // asked first, in the words of what will happen (run-again.ts); the lead's stage read now
      const lead = x.leadId === undefined ? undefined : (await api.lead(x.leadId)).lead;
      if (!window.confirm(runAgainQuestion(how, x, lead))) return;
      let answer: RerunAnswer;
      try {
        answer = await runAgainMutation.mutateAsync({
          id: x.id,
          how,
          ...(how === 'rerun' && resendsPastNew(x, lead) ? { confirm: true } : {}),
        });
      } catch (e) {
        if (!(how === 'rerun' && e instanceof ApiError && e.status === 409 && e.field === 'confirm')) throw e;
        if (!window.confirm(`${e.message.replace(/; send \{"confirm": true\}.*$/, '')}.\n\nRe-run it anyway?`)) return;
        answer = await runAgainMutation.mutateAsync({ id: x.id, how, confirm: true });
      }
      const next = answer.execution;
      notify(
        next.state === 'success' ? 'success' : 'error',
        `Execution #${next.id}: ${next.state === 'success' ? 'it went through' : `it failed again${next.error ? ` (${next.error.code})` : ''}`}` +
          (answer.lead ? ` — lead #${answer.lead.id}: ${answer.lead.note}` : ''),
      );
      location.hash = `#/log/${next.id}`;
    } catch (e) {
      notify('error', (e as Error).message);
    }
  };

  const selectNode = (nodeId: string) => {
    // a node that ran more than once (a For Each branch): its last run, as the canvas shows it
    for (let i = x.steps.length - 1; i >= 0; i--) if (x.steps[i].nodeId === nodeId) return setSelected(i);
  };

  return (
    <div className="lf-page lf-page--wide" data-testid="execution-page">
      <div className="lf-page__head">
        <a href={hrefOf('log', { flow: query.get('canvas') === '1' ? x.flowId : undefined })} className="lf-muted">
          ← Integration log
        </a>
        <h1>Execution #{x.id}</h1>
        <ExecutionState execution={x} />
        {x.test && <span className="lf-tag">test run</span>}
        <span className="lf-toolbar__spacer" />
        {!x.test && x.state === 'error' && x.steps.some((s) => s.state === 'error') && (
          <button
            type="button"
            className="lf-btn"
            disabled={busy}
            onClick={() => void runAgain('retry')}
            title="Run again from the node that failed, with the input it had then, on the version this ran"
            data-testid="retry-execution"
          >
            Retry from {x.error?.nodeId ?? 'the failed node'}
          </button>
        )}
        {!x.test && (
          <button
            type="button"
            className="lf-btn"
            disabled={busy}
            onClick={() => void runAgain('rerun')}
            title="Run this event again on the flow's current version"
            data-testid="rerun-execution"
          >
            Re-run on the current version
          </button>
        )}
        <button type="button" className="lf-btn" onClick={() => setCanvas(!canvas)} data-testid="toggle-canvas">
          {canvas ? 'Hide the canvas' : 'Show the path on the canvas'}
        </button>
      </div>
      <dl className="lf-dl lf-dl--inline">
        <dt>flow</dt>
        <dd>
          <a href={`#/flows/${encodeURIComponent(x.flowId)}`}>{x.flowId}</a> <span className="lf-muted">version {x.flowVersion}</span>
        </dd>
        <dt>event</dt>
        <dd>
          <EventName event={x.event} />
        </dd>
        <dt>integration</dt>
        <dd>
          <a href={`#/integrations/${encodeURIComponent(x.integrationId)}`}>{x.integrationId}</a>
        </dd>
        <dt>leads</dt>
        <dd>
          <RunLeads execution={x} />
        </dd>
        <dt>started</dt>
        <dd>{formatTime(x.startedAt)}</dd>
        <dt>took</dt>
        <dd>{formatMs(x.durationMs)}</dd>
      </dl>
      {x.error && (
        <p className="lf-issues lf-issues--flush lf-issues--plain" data-testid="execution-error">
          <b>{x.error.code}</b>
          {x.error.nodeId ? ` at ${x.error.nodeId}` : ''}: {x.error.message}
          {x.error.retryable ? ' (temporary: delivery is retried)' : ''}
        </p>
      )}
      <FailingAnswer execution={x} />
      {(x.trigger !== undefined || x.response) && (
        <div className="lf-row lf-row--top">
          {x.trigger !== undefined && (
            <details className="lf-box lf-box--tight">
              <summary>What started it</summary>
              <pre className="lf-pre">{JSON.stringify(x.trigger, null, 2)}</pre>
            </details>
          )}
          {x.response && (
            <details className="lf-box lf-box--tight">
              <summary>Answer to the caller (HTTP {x.response.status})</summary>
              <pre className="lf-pre">{JSON.stringify(x.response.body, null, 2)}</pre>
            </details>
          )}
        </div>
      )}
      {canvas && (
        <Suspense fallback={<div className="lf-exec-canvas lf-center lf-muted">Loading the canvas…</div>}>
          <ExecutionCanvas execution={x} selectedNode={step?.nodeId} onSelectNode={selectNode} />
        </Suspense>
      )}
      <div className="lf-exec">
        <ol className="lf-exec__steps" data-testid="execution-steps">
          {x.steps.map((s, i) => (
            <li key={i}>
              <button
                type="button"
                className={`lf-exec__step is-${s.state}${i === selected ? ' is-on' : ''}`}
                onClick={() => setSelected(i)}
                data-node-id={s.nodeId}
              >
                <span className="lf-exec__node">{s.nodeId}</span>
                <span className="lf-muted lf-small">
                  {s.type}
                  {s.http.length > 0 ? ` · ${s.http.length} HTTP` : ''}
                </span>
                <span className={`lf-small ${s.state === 'error' ? 'lf-danger' : 'lf-muted'}`}>
                  {s.state === 'stopped'
                    ? 'stopped before sending'
                    : s.state === 'ok'
                      ? s.port && s.port !== 'out'
                        ? `→ ${s.port}`
                        : 'ok'
                      : (s.error?.code ?? 'failed')}{' '}
                  · {formatMs(s.durationMs)}
                </span>
              </button>
            </li>
          ))}
          {x.steps.length === 0 && <li className="lf-muted">No node ran.</li>}
        </ol>
        <section className="lf-exec__detail">
          {step ? (
            <>
              <h2>
                <code>{step.nodeId}</code>{' '}
                <span className="lf-muted lf-small">
                  {step.type} · started {formatTime(step.startedAt)}
                </span>
              </h2>
              <StepDetails step={step} />
            </>
          ) : (
            <p className="lf-muted">Nothing to show.</p>
          )}
        </section>
      </div>
    </div>
  );
}
