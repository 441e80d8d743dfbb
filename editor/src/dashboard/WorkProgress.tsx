/**
 * Long work followed live (`/api/work/:id/stream`): a progress bar with its counts, Cancel while
 * it runs, and once over the summary — done (and what they came to), failed, and skipped with why.
 */
import { useEffect, useRef, useState } from 'react';
import type { WorkReport } from '../../../core/domain/work.ts';
import { api } from '../api/client.ts';
import { notify } from '../app/notices.ts';
import { useEventStream } from './useEventStream.ts';
import './work.css';

const ENDED: Record<WorkReport['state'], string> = {
  running: 'Running',
  done: 'Finished',
  cancelled: 'Cancelled',
  failed: 'Stopped by an error',
};

/** How a kind of work says its counts: what a done item is, and its progress while the total is unknown. */
export interface WorkWords {
  done: string;
  counting: (handled: number) => string;
}

const RESEND_WORDS: WorkWords = { done: 'resent', counting: () => 'finding the leads…' };

export function WorkProgress({
  start,
  onClose,
  onEnd,
  words = RESEND_WORDS,
}: {
  start: WorkReport;
  onClose: () => void;
  /** Called once when the work is over (the page reads what it changed again). */
  onEnd?: (report: WorkReport) => void;
  words?: WorkWords;
}) {
  const stream = useEventStream<WorkReport>(`/api/work/${encodeURIComponent(start.id)}/stream`, ['progress', 'end']);
  const [cancelling, setCancelling] = useState(false);
  const work = stream.data ?? start;
  const running = work.state === 'running';
  const ended = useRef(false);
  useEffect(() => {
    if (running || ended.current) return;
    ended.current = true;
    onEnd?.(work);
  }, [running, work, onEnd]);
  const handled = work.done + work.failed + Object.values(work.skipped).reduce((a, b) => a + b, 0);
  const percent = work.total ? Math.round((handled / work.total) * 100) : running ? 0 : 100;

  const cancel = async () => {
    setCancelling(true);
    try {
      await api.cancelWork(work.id);
    } catch (e) {
      notify('error', `Not cancelled: ${(e as Error).message}`);
      setCancelling(false);
    }
  };

  return (
    <div
      className={`lf-box lf-work ${running ? '' : work.state === 'done' && work.failed === 0 ? 'lf-box--ok' : 'lf-box--warn'}`}
      data-testid="work-progress"
      data-state={work.state}
    >
      <div className="lf-work__head">
        <strong>{work.title}</strong>
        <span className="lf-muted">
          {running ? (work.total === undefined ? words.counting(handled) : `${handled} of ${work.total}`) : ENDED[work.state]}
        </span>
      </div>
      <div className="lf-work__bar" role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={percent}>
        <span style={{ width: `${percent}%` }} />
      </div>
      <ul className="lf-work__counts" data-testid="work-counts">
        <li>
          <span className="lf-num">{work.done}</span> {words.done}
          {work.outcomes && (
            <span className="lf-muted">
              {' '}
              (
              {Object.entries(work.outcomes)
                .map(([what, count]) => `${count} ${what}`)
                .join(', ')}
              )
            </span>
          )}
        </li>
        <li>
          <span className="lf-num">{work.failed}</span> failed{work.failed > 0 && work.error ? ` (${work.error})` : ''}
        </li>
        {Object.entries(work.skipped).map(([why, count]) => (
          <li key={why}>
            <span className="lf-num">{count}</span> skipped: {why}
          </li>
        ))}
        {work.total !== undefined && (
          <li className="lf-muted">
            of <span className="lf-num">{work.total}</span> found
          </li>
        )}
      </ul>
      {!running && work.state === 'failed' && work.error && <p className="lf-danger">{work.error}</p>}
      <div className="lf-row">
        {running ? (
          <button
            type="button"
            className="lf-btn lf-btn--small"
            disabled={cancelling}
            onClick={() => void cancel()}
            data-testid="work-cancel"
          >
            {cancelling ? 'Cancelling…' : 'Cancel'}
          </button>
        ) : (
          <button type="button" className="lf-btn lf-btn--small" onClick={onClose} data-testid="work-close">
            Close
          </button>
        )}
        {!stream.connected && running && <span className="lf-muted">reconnecting…</span>}
      </div>
    </div>
  );
}
