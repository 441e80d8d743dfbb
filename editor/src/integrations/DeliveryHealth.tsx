/**
 * One line under an integration's title: its delivery queue paused or going (with the button that
 * pauses or resumes it: queued deliveries are held, not failed, and go on resume), how many of its
 * deliveries run at once (editable), and its circuit breaker — closed, or open with when the next
 * probe goes, or half-open while one does.
 */
import { useState } from 'react';
import { DEFAULT_INTEGRATION_CONCURRENCY, MAX_INTEGRATION_CONCURRENCY, deliveryConcurrency } from '../../../core/domain/config.ts';
import type { BreakerView, IntegrationPatch, IntegrationView } from '../api/client.ts';
import { pauseQuestion } from '../dashboard/PauseButton.tsx';
import { formatTime as time } from '../app/time.ts';
import { hrefOf } from '../app/route.ts';

function breakerText(breaker: BreakerView): string {
  if (breaker.state === 'closed') {
    return breaker.consecutiveFailures > 0
      ? `target answering (${breaker.consecutiveFailures} of ${breaker.threshold} failures in a row)`
      : 'target answering';
  }
  if (breaker.state === 'half-open') return 'one probe delivery under way; the others wait';
  const next = breaker.nextProbeAt ? `, next probe at ${time(breaker.nextProbeAt)}` : '';
  return `deliveries held since ${time(breaker.since)} after ${breaker.consecutiveFailures} failures in a row${next}`;
}

const PILL = { closed: 'lf-pill--ok', 'half-open': 'lf-pill--warn', open: 'lf-pill--error' } as const;

export function DeliveryHealth({
  integration,
  patch,
}: {
  integration: IntegrationView;
  patch: (body: IntegrationPatch, done?: string) => Promise<boolean>;
}) {
  const current = deliveryConcurrency(integration);
  // what is being typed, until it is saved or refused; otherwise the stored value
  const [draft, setDraft] = useState<string | undefined>();
  const concurrency = draft ?? String(current);
  const save = () => {
    const value = Number(concurrency);
    if (draft === undefined || value === current) return setDraft(undefined);
    void patch({ concurrency: value }, `Up to ${value} deliveries at once`).then(() => setDraft(undefined));
  };
  const { breaker } = integration;
  const paused = integration.paused === true;
  const [pausing, setPausing] = useState(false);
  const togglePause = () => {
    if (!window.confirm(pauseQuestion(integration.name, paused))) return;
    setPausing(true);
    const done = paused
      ? `${integration.name}: deliveries resumed`
      : `${integration.name}: deliveries paused (queued leads wait, none fail)`;
    void patch({ paused: !paused }, done).finally(() => setPausing(false));
  };
  return (
    <p className="lf-muted" data-testid="delivery-health">
      <span className={`lf-pill ${paused ? 'lf-pill--warn' : 'lf-pill--ok'}`} data-testid="queue-state">
        {paused ? 'deliveries paused' : 'deliveries going'}
      </span>{' '}
      <button
        type="button"
        className="lf-btn lf-btn--small"
        disabled={pausing}
        onClick={togglePause}
        title={
          paused
            ? 'Send its queued deliveries again'
            : 'Hold its deliveries: they stay queued, are not failed, and go on resume; it still takes leads'
        }
      >
        {paused ? 'Resume deliveries' : 'Pause deliveries'}
      </button>
      {' · '}
      <label
        title={`How many of its deliveries run at once (default ${DEFAULT_INTEGRATION_CONCURRENCY}), so a slow target holds few workers`}
      >
        Deliveries at once{' '}
        <input
          className="lf-input lf-input--small"
          type="number"
          min={1}
          max={MAX_INTEGRATION_CONCURRENCY}
          value={concurrency}
          onChange={(e) => setDraft(e.target.value)}
          onBlur={save}
          aria-label="Deliveries at once"
          style={{ width: '5em' }}
        />
      </label>
      <FailedDeliveries integration={integration} />
      {breaker && (
        <>
          {' · '}
          <span className={`lf-pill ${PILL[breaker.state]}`} data-testid="breaker-state" title="Circuit breaker">
            breaker {breaker.state}
          </span>{' '}
          {breakerText(breaker)}
        </>
      )}
    </p>
  );
}

/** Its deliveries that need someone: those failed for good (red, to the Leads page filtered on them) and those waiting for a retry. */
function FailedDeliveries({ integration }: { integration: IntegrationView }) {
  const { failed, retrying } = integration.deliveries ?? { failed: 0, retrying: 0 };
  if (failed === 0 && retrying === 0) return null;
  return (
    <>
      {failed > 0 && (
        <>
          {' · '}
          <a
            className="lf-pill lf-pill--error"
            href={hrefOf('leads', { integration: integration.id, delivery: 'failed' })}
            data-testid="deliveries-failed"
            title="Deliveries given up: the lead stays new until it is resent"
          >
            {failed} failed
          </a>
        </>
      )}
      {retrying > 0 && (
        <>
          {' · '}
          <span
            className="lf-pill lf-pill--warn"
            data-testid="deliveries-retrying"
            title="Deliveries whose attempt failed and that are tried again"
          >
            {retrying} waiting for a retry
          </span>
        </>
      )}
    </>
  );
}
