/**
 * Executions as rows: when, which flow and version, event, lead, outcome (with the error's code and
 * node), duration. Used by the integration log and a lead's page; a row opens the execution.
 */
import type { Execution } from '../../../core/domain/execution.ts';
import { formatMs, formatWhen } from '../canvas/look.ts';
import { hrefOf } from '../app/route.ts';
import { EventName } from '../app/EventName.tsx';

export function ExecutionState({ execution }: { execution: Pick<Execution, 'state' | 'error'> }) {
  if (execution.state === 'success') return <span className="lf-pill lf-pill--ok">success</span>;
  if (execution.state === 'stopped')
    return (
      <span className="lf-pill lf-pill--warn" title="a dry test run: it stopped before its first request to the target, nothing was sent">
        stopped before sending
      </span>
    );
  if (execution.state === 'waiting')
    return (
      <span className="lf-pill lf-pill--warn" title="waiting for the target: the delivery continues at the waiting node later">
        waiting
      </span>
    );
  return (
    <span
      className={`lf-pill ${execution.error?.retryable ? 'lf-pill--warn' : 'lf-pill--error'}`}
      title={execution.error?.retryable ? 'temporary: delivery is retried' : undefined}
    >
      {execution.error?.retryable ? 'error, retried' : 'error'}
    </span>
  );
}

export function ExecutionTable({
  executions,
  showLead = true,
  openWith = {},
}: {
  executions: Execution[];
  showLead?: boolean;
  openWith?: Record<string, string>;
}) {
  return (
    <table className="lf-table lf-table--compact lf-table--rows" data-testid="executions">
      <thead>
        <tr>
          <th>#</th>
          <th>time</th>
          <th>flow</th>
          <th>event</th>
          {showLead && <th>lead</th>}
          <th>state</th>
          <th>error</th>
          <th className="lf-num">duration</th>
        </tr>
      </thead>
      <tbody>
        {executions.map((x) => {
          const href = hrefOf(`log/${x.id}`, openWith);
          return (
            <tr
              key={x.id}
              data-execution-id={x.id}
              data-state={x.state}
              onClick={(e) => !(e.target as HTMLElement).closest('a') && (location.hash = href)}
            >
              <td>
                <a href={href}>{x.id}</a>
              </td>
              <td className="lf-nowrap">{formatWhen(x.startedAt)}</td>
              <td>
                <a href={`#/flows/${encodeURIComponent(x.flowId)}`} title="Open the flow">
                  {x.flowId}
                </a>{' '}
                <span className="lf-muted">v{x.flowVersion}</span>
                {x.test && <span className="lf-tag">test run</span>}
              </td>
              <td>
                <EventName event={x.event} />
              </td>
              {showLead && (
                <td>{x.leadId !== undefined ? <a href={`#/leads/${x.leadId}`}>#{x.leadId}</a> : <span className="lf-muted">—</span>}</td>
              )}
              <td>
                <ExecutionState execution={x} />
              </td>
              <td className="lf-cell-error">
                {x.error ? (
                  <>
                    <code>{x.error.code}</code>
                    {x.error.nodeId && <span className="lf-muted"> at {x.error.nodeId}</span>}
                    <div className="lf-small lf-muted lf-clip" title={x.error.message}>
                      {x.error.message}
                    </div>
                  </>
                ) : (
                  <span className="lf-muted">—</span>
                )}
              </td>
              <td className="lf-num lf-nowrap">{formatMs(x.durationMs)}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
