/**
 * "Send a test postback": a postback for a sample lead goes to the tracker for real (through the
 * runtime's outbound policy), and the tracker's answer is shown — its status, the start of its
 * body and the time it took — or why it was not sent. The URL tried is the one in the form, saved
 * or not, for the stream chosen.
 */
import { useState } from 'react';
import { STAGES, type Stage } from '../../../core/domain/lead.ts';
import type { TestPostbackAnswer } from '../../../core/api.ts';
import { useTestPostback } from './webmaster-queries.ts';

export function TestPostback({ webmaster, urls }: { webmaster: string; urls: { stream?: string; url: string }[] }) {
  const test = useTestPostback();
  const [which, setWhich] = useState(0);
  const [stage, setStage] = useState<Stage>('approve');
  const chosen = urls[Math.min(which, urls.length - 1)];

  return (
    <div className="lf-test-postback" data-testid="test-postback">
      <div className="lf-row lf-wrap">
        {urls.length > 1 && (
          <label className="lf-muted">
            URL{' '}
            <select
              className="lf-input lf-input--auto"
              value={which}
              onChange={(e) => setWhich(Number(e.target.value))}
              data-testid="test-postback-url"
            >
              {urls.map((u, i) => (
                <option key={i} value={i}>
                  {u.stream ? `stream ${u.stream}` : 'the general URL'}
                </option>
              ))}
            </select>
          </label>
        )}
        <label className="lf-muted">
          Try it with a sample lead reaching{' '}
          <select
            className="lf-input lf-input--auto"
            value={stage}
            onChange={(e) => setStage(e.target.value as Stage)}
            data-testid="test-postback-stage"
          >
            {STAGES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <button
          type="button"
          className="lf-btn lf-btn--small"
          disabled={!chosen?.url.trim() || test.isPending}
          title={chosen?.url.trim() ? 'Sends a postback for a sample lead to this URL, for real' : 'Type a postback URL first'}
          onClick={() => test.mutate({ id: webmaster, url: chosen.url, stream: chosen.stream, stage })}
          data-testid="send-test-postback"
        >
          {test.isPending ? 'Sending…' : 'Send a test postback'}
        </button>
      </div>
      {test.error && (
        <p className="lf-danger" data-testid="test-postback-error">
          Not sent: {test.error.message}
        </p>
      )}
      {test.data && !test.isPending && <TrackerAnswer answer={test.data} />}
    </div>
  );
}

function TrackerAnswer({ answer }: { answer: TestPostbackAnswer }) {
  const headline =
    answer.status !== undefined
      ? `The tracker answered HTTP ${answer.status} in ${answer.durationMs} ms${answer.ok ? '' : ': it did not take the postback (a real one would be retried)'}`
      : answer.refused
        ? `Not sent: the runtime may not send postbacks to this address — ${answer.error}`
        : `No answer after ${answer.durationMs} ms: ${answer.error}`;
  return (
    <div className={`lf-box lf-box--tight ${answer.ok ? 'lf-box--ok' : 'lf-box--warn'}`} data-testid="tracker-answer" data-ok={answer.ok}>
      <p className={answer.ok ? 'lf-ok-line' : 'lf-danger'} data-testid="tracker-answer-headline">
        {answer.ok ? '✓ ' : '✗ '}
        {headline}
      </p>
      <dl className="lf-dl">
        <dt>Sent</dt>
        <dd>
          <code className="lf-break" data-testid="tracker-answer-url">
            GET {answer.url}
          </code>
        </dd>
        {Object.keys(answer.sample).length > 0 && (
          <>
            <dt>Sample lead</dt>
            <dd className="lf-small">
              {Object.entries(answer.sample)
                .map(([k, v]) => `${k} = ${v || '(empty)'}`)
                .join(' · ')}
            </dd>
          </>
        )}
        {answer.body !== undefined && (
          <>
            <dt>Answer</dt>
            <dd>
              <pre className="lf-pre lf-answer" data-testid="tracker-answer-body">
                {answer.body || '(empty)'}
              </pre>
            </dd>
          </>
        )}
      </dl>
      {answer.unknownMacros.length > 0 && (
        <p className="lf-warn lf-small">
          Sent as written, not replaced: {answer.unknownMacros.map((m) => `{${m}}`).join(', ')} — not a macro (see the list).
        </p>
      )}
    </div>
  );
}
