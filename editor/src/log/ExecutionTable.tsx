/**
 * Executions as rows: when, which flow and version, event, lead, outcome (with the error's code and
 * node), duration. Used by the integration log and a lead's page; a row opens the execution.
 */
import type { Execution } from '../../../core/domain/execution.ts';
import { formatMs } from '../canvas/look.ts';
import { formatTime } from '../app/time.ts';
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
  // a failure always reads as one: red when it is final, amber while the delivery is tried again
  return (
    <span
      className={`lf-pill ${execution.error?.retryable ? 'lf-pill--warn' : 'lf-pill--error'}`}
      title={execution.error ? `${execution.error.code}: ${execution.error.message}` : undefined}
    >
      {execution.error?.retryable ? 'failed, tried again' : 'failed'}
    </span>
  );
}

/** The leads a run touched: its own, a postback's, each of a status check's batch (the first few, then how many more). */
export function RunLeads({ execution }: { execution: Pick<Execution, 'leadId' | 'leadIds' | 'test'> }) {
  const ids = execution.leadIds ?? (execution.leadId !== undefined && execution.leadId > 0 ? [execution.leadId] : []);
  if (ids.length === 0) {
    return <span className="lf-muted">{execution.test && execution.leadId === 0 ? 'sample lead' : 'no lead'}</span>;
  }
  const shown = ids.slice(0, 3);
  return (
    <span className="lf-run-leads" data-testid="run-leads">
      {shown.map((id, n) => (
        <span key={id}>
          {n > 0 && ', '}
          <a href={`#/leads/${id}`}>#{id}</a>
        </span>
      ))}
      {ids.length > shown.length && (
        <span className="lf-muted" title={ids.map((id) => `#${id}`).join(', ')}>
          {' '}
          +{ids.length - shown.length} more
        </span>
      )}
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
          {showLead && <th>leads</th>}
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
              <td className="lf-nowrap">{formatTime(x.startedAt)}</td>
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
                <td>
                  <RunLeads execution={x} />
                </td>
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
