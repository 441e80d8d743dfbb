/**
 * One line under an integration's title: its delivery queue paused or going (with the button that
 * pauses or resumes it: queued deliveries are held, not failed, and go on resume) — or, switched
 * off, that it takes no leads — how many of its deliveries run at once (editable), and its circuit
 * breaker in words: the target answering normally, or failing and paused for how long.
 */
import { useState } from 'react';
import { DEFAULT_INTEGRATION_CONCURRENCY, MAX_INTEGRATION_CONCURRENCY, deliveryConcurrency } from '../../../core/domain/config.ts';
import type { IntegrationPatch, IntegrationView } from '../api/client.ts';
import { pauseQuestion } from '../dashboard/PauseButton.tsx';
import { hrefOf } from '../app/route.ts';
import { breakerInWords } from './breaker-words.ts';

/** The queue's state in words: switched off first (it takes no leads at all), then paused, then going. */
function queueInWords(integration: IntegrationView): { text: string; pill: string } {
  if (!integration.enabled) {
    const waiting = integration.deliveries?.retrying ?? 0;
    const wait = waiting > 0 ? `${waiting} ${waiting === 1 ? 'delivery waits' : 'deliveries wait'}` : 'queued deliveries wait';
    return { text: `Switched off: it takes no leads; ${wait}`, pill: 'lf-pill--warn' };
  }
  return integration.paused ? { text: 'deliveries paused', pill: 'lf-pill--warn' } : { text: 'deliveries going', pill: 'lf-pill--ok' };
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
  const queue = queueInWords(integration);
  const words = breaker && breakerInWords(breaker);
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
      <span className={`lf-pill ${queue.pill}`} data-testid="queue-state">
        {queue.text}
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
      {breaker && words && (
        <>
          {' · '}
          <span className={`lf-pill ${PILL[breaker.state]}`} data-testid="breaker-state" data-state={breaker.state} title="Circuit breaker">
            {words.title}
          </span>
          {words.detail && ` ${words.detail}`}
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
