/**
 * The integration's status checks: for each check it has a flow for, its schedule in words, when it
 * runs next, what the last run did (leads checked, moved to another stage, unchanged, failed), and
 * "Check now", which starts the check as long work on the server (or joins the one running) and
 * follows it like every long work (<WorkProgress>, server-sent events): its progress batch by
 * batch, Cancel, and its summary.
 */
import { useCallback, useState } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { describeSchedule } from '../../../core/node/schedule.ts';
import type { WorkReport } from '../../../core/domain/work.ts';
import { api, type CheckEvent, type CheckReport, type CheckSchedule, type IntegrationView } from '../api/client.ts';
import { keys, useChecks } from '../api/queries.ts';
import { formatWhen } from '../canvas/look.ts';
import { notify } from '../app/notices.ts';
import { EVENT_NAMES } from '../../../core/domain/event-names.ts';
import { WorkProgress, type WorkWords } from '../dashboard/WorkProgress.tsx';

const CHECKS: CheckEvent[] = ['status.processing', 'status.approved', 'status.range'];

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** Counts in words: "12 leads checked: 3 moved, 8 unchanged, 1 failed". */
function countsOf(c: Pick<CheckReport, 'event' | 'leads' | 'moved' | 'unchanged' | 'failed' | 'runs'>): string {
  // a range check asks by date window: it does not know its leads ahead
  if (c.event === 'status.range') return `${plural(c.runs, 'page')} asked`;
  return `${plural(c.leads, 'lead')} checked: ${c.moved} moved, ${c.unchanged} unchanged, ${c.failed} failed`;
}

/** A check's progress in words: a range check counts the pages it asked, the others the leads. */
const wordsOf = (event: CheckEvent): WorkWords =>
  event === 'status.range'
    ? { done: 'pages asked', counting: (n) => `${plural(n, 'page')} asked so far` }
    : { done: 'leads checked', counting: (n) => `${plural(n, 'lead')} so far` };

export function StatusChecksSection({ integration }: { integration: IntegrationView }) {
  const events = CHECKS.filter((event) => integration.flows[event]);
  const checks = useChecks(integration.id);
  if (events.length === 0) return null;
  return (
    <section className="lf-box" data-testid="status-checks">
      <h2>Status checks</h2>
      <p className="lf-muted">How this integration asks the target for the statuses of its leads, and what the last check did.</p>
      {events.map((event) => (
        <CheckRow
          key={event}
          integration={integration}
          event={event}
          schedule={checks.data?.find((c) => c.event === event)}
          onDone={() => void checks.refetch()}
        />
      ))}
    </section>
  );
}

function CheckRow({
  integration,
  event,
  schedule,
  onDone,
}: {
  integration: IntegrationView;
  event: CheckEvent;
  schedule?: CheckSchedule;
  onDone(): void;
}) {
  const client = useQueryClient();
  const [work, setWork] = useState<WorkReport | null>(null);
  const [starting, setStarting] = useState(false);
  const running = work?.state === 'running';

  const ended = useCallback(
    (report: WorkReport) => {
      setWork(report);
      onDone();
      // leads moved: the page's counts and lists read again
      void client.invalidateQueries({ queryKey: keys.integration(integration.id) });
    },
    [onDone, client, integration.id],
  );

  const start = async () => {
    setStarting(true);
    try {
      setWork(await api.startCheck(integration.id, event));
    } catch (e) {
      notify('error', `The check did not start: ${(e as Error).message}`);
    }
    setStarting(false);
  };

  const last = schedule?.last;
  return (
    <div className="lf-check-row" data-check={event}>
      <div className="lf-row">
        <b>{EVENT_NAMES[event]}</b>
        <span className="lf-toolbar__spacer" />
        <button
          type="button"
          className="lf-btn lf-btn--small"
          disabled={starting || running}
          onClick={() => void start()}
          data-testid={`check-now-${event}`}
        >
          {running ? 'Checking…' : 'Check now'}
        </button>
      </div>
      <div className="lf-small" data-testid={`check-schedule-${event}`}>
        {schedule?.schedule ? (
          <>
            Runs {describeSchedule(schedule.schedule)}
            {schedule.next && <> · next at {formatWhen(schedule.next)}</>}
          </>
        ) : (
          <span className="lf-muted">Not scheduled while the integration is off; “Check now” still runs it.</span>
        )}
      </div>
      {work && (
        <div data-testid={`check-work-${event}`}>
          <WorkProgress key={work.id} start={work} words={wordsOf(event)} onEnd={ended} onClose={() => setWork(null)} />
        </div>
      )}
      {!work && last && <CheckSummary report={last} testId={`check-last-${event}`} title={`Last check, ${formatWhen(last.startedAt)}`} />}
      {!work && !last && <div className="lf-small lf-muted">Not run since the runtime started.</div>}
    </div>
  );
}

function CheckSummary({ report, testId, title }: { report: CheckReport; testId: string; title: string }) {
  return (
    <div className={`lf-small ${report.error ? 'lf-warn' : ''}`} data-testid={testId}>
      {title}: {countsOf(report)} in {(report.durationMs / 1000).toFixed(1)} s
      {report.error && (
        <>
          {' '}
          — stopped early: {report.error.message}
          {report.error.execution !== undefined && (
            <>
              {' '}
              <a href={`#/log/${report.error.execution}`}>see the run</a>
            </>
          )}
        </>
      )}
    </div>
  );
}
