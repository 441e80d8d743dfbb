/**
 * Under a failed execution's error: the target's last HTTP answer before the failure (its status
 * and the start of its body), or why no answer came, so the operator reads what refused the lead
 * without opening each node.
 */
import type { Execution, HttpRecord } from '../../../core/domain/execution.ts';

/** The last HTTP exchange of the failed node, else of the run. */
export function failingExchange(execution: Pick<Execution, 'steps' | 'error'>): HttpRecord | undefined {
  const steps = execution.steps;
  const failed = steps.filter((s) => s.nodeId === execution.error?.nodeId && s.http.length > 0).at(-1);
  return (failed ?? steps.filter((s) => s.http.length > 0).at(-1))?.http.at(-1);
}

export function FailingAnswer({ execution }: { execution: Pick<Execution, 'steps' | 'error' | 'state'> }) {
  if (execution.state !== 'error') return null;
  const http = failingExchange(execution);
  if (!http) return null;
  const { method, url } = http.request;
  return (
    <div className="lf-box lf-box--tight" data-testid="failing-answer">
      <div className="lf-small lf-muted">
        The last call: <code>{method}</code> <code className="lf-clip">{url}</code>
      </div>
      {http.response ? (
        <>
          <div>
            The target answered <b data-testid="failing-status">HTTP {http.response.status}</b>
          </div>
          <pre className="lf-pre" data-testid="failing-body">
            {http.response.body.length > 600 ? `${http.response.body.slice(0, 600)}…` : http.response.body || '(an empty body)'}
          </pre>
        </>
      ) : (
        <div>
          No answer: <b>{http.outcome === 'timeout' ? 'the target did not answer in time' : 'the connection failed'}</b>
          {http.error ? ` (${http.error})` : ''}
        </div>
      )}
    </div>
  );
}
