/**
 * What one node did in a test run: its exit, time, input, output, the HTTP requests it sent and
 * the answers it got (secrets already redacted by the runtime), and its log lines; for a dry
 * run's stop, the request it would have sent; for a pinned node, that it did not run.
 */
import type { HttpRecord, StepRecord } from '../../../core/domain/execution.ts';
import { formatMs } from '../canvas/look.ts';

function Json({ value }: { value: unknown }) {
  if (value === undefined) return <p className="lf-muted">nothing</p>;
  return <pre className="lf-pre">{typeof value === 'string' ? value : JSON.stringify(value, null, 2)}</pre>;
}

function prettyBody(body: string | undefined): string {
  if (!body) return '';
  try {
    return JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    return body;
  }
}

function Headers({ headers }: { headers: Record<string, string> }) {
  const entries = Object.entries(headers);
  if (!entries.length) return null;
  return (
    <table className="lf-headers">
      <tbody>
        {entries.map(([name, value]) => (
          <tr key={name}>
            <th>{name}</th>
            <td>{value}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function HttpExchangeView({ record, index }: { record: HttpRecord; index: number }) {
  const status = record.response?.status;
  const tone = record.outcome !== 'answer' ? 'error' : status !== undefined && status >= 200 && status < 300 ? 'ok' : 'error';
  return (
    <div className="lf-http" data-testid="http-exchange">
      <h5>
        Request {index + 1}: <code>{record.request.method}</code> <span className="lf-break">{record.request.url}</span>
      </h5>
      <Headers headers={record.request.headers} />
      {record.request.body && <pre className="lf-pre">{prettyBody(record.request.body)}</pre>}
      <h5>
        Answer:{' '}
        <span className={`lf-pill lf-pill--${tone}`}>
          {record.outcome === 'answer' ? `HTTP ${status}` : record.outcome.replace('_', ' ')}
        </span>{' '}
        <span className="lf-muted">{formatMs(record.durationMs)}</span>
      </h5>
      {record.error && <p className="lf-field__error">{record.error}</p>}
      {record.response && (
        <>
          <Headers headers={record.response.headers} />
          <pre className="lf-pre">{prettyBody(record.response.body)}</pre>
        </>
      )}
    </div>
  );
}

/**
 * The request a dry test run stopped before sending: method, URL, headers and body, exactly as
 * they would have left (the integration's secrets shown masked by the runtime).
 */
export function WouldSendView({ request }: { request: HttpRecord['request'] }) {
  return (
    <div className="lf-http lf-http--unsent" data-testid="would-send">
      <h5>
        Would send: <code>{request.method}</code> <span className="lf-break">{request.url}</span>
      </h5>
      <Headers headers={request.headers} />
      {request.body ? <pre className="lf-pre">{prettyBody(request.body)}</pre> : <p className="lf-muted">no body</p>}
      <p className="lf-help">Nothing was sent. Secrets are shown as [secret]. Tick “Send for real” to send it to the target.</p>
    </div>
  );
}

const STATE_PILL: Record<StepRecord['state'], { tone: string; text: string }> = {
  ok: { tone: 'ok', text: 'ran' },
  error: { tone: 'error', text: 'failed' },
  stopped: { tone: 'warn', text: 'stopped before sending' },
};

export function StepDetails({ step }: { step: StepRecord | undefined }) {
  if (!step) {
    return <p className="lf-muted">The test run did not reach this node.</p>;
  }
  const pill = step.pinned ? { tone: 'off', text: 'pinned: not run' } : STATE_PILL[step.state];
  return (
    <div className="lf-step" data-testid="step-details">
      <p>
        <span className={`lf-pill lf-pill--${pill.tone}`}>{pill.text}</span>{' '}
        {step.port && <span className="lf-muted">exit “{step.port}” · </span>}
        <span className="lf-muted">
          {formatMs(step.durationMs)}
          {step.attempts > 1 ? ` · ${step.attempts} attempts` : ''}
        </span>
      </p>
      {step.error && (
        <p className="lf-field__error">
          <b>{step.error.code}</b>: {step.error.message}
        </p>
      )}
      {step.http.map((record, i) => (
        <HttpExchangeView key={i} record={record} index={i} />
      ))}
      {step.request && <WouldSendView request={step.request} />}
      <details>
        <summary>Input</summary>
        <Json value={step.input} />
      </details>
      <details open={step.http.length === 0 && !step.request}>
        <summary>Output</summary>
        <Json value={step.output} />
      </details>
      {step.logs.length > 0 && (
        <details open>
          <summary>Log</summary>
          <pre className="lf-pre">{step.logs.join('\n')}</pre>
        </details>
      )}
    </div>
  );
}
