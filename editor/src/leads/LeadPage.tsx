/**
 * One lead: its fields, where it stands (stage, external id, raw status, reason, operator comment),
 * its stage history, its deliveries (the queued job to the target and the outgoing postbacks, with
 * each postback's attempt log) and the executions that worked on it. A lead still `new` whose
 * delivery failed for good can be delivered again.
 */
import { useEffect } from 'react';
import type { LeadInput } from '../../../core/domain/lead.ts';
import type { Job, PostbackAttempt } from '../../../core/domain/job.ts';
import { ApiError, leadStoryUrl } from '../api/client.ts';
import { useLead } from '../api/queries.ts';
import { useDeliverLead } from '../api/mutations.ts';
import { notify } from '../app/notices.ts';
import { formatMs } from '../canvas/look.ts';
import { formatTime } from '../app/time.ts';
import { hrefOf } from '../app/route.ts';
import { ExecutionTable } from '../log/ExecutionTable.tsx';
import { DeliveryBadge } from './DeliveryBadge.tsx';
import { StageBadge } from './StageBadge.tsx';
import { IntegrationName, OfferName, useNames } from './Names.tsx';
import { StageByHand } from './StageByHand.tsx';
import type { LeadHandoff } from '../../../core/domain/routing.ts';

const KIND_LABEL: Record<Job['kind'], string> = {
  'lead.new': 'delivery to the target',
  'lead.update': 'update sent to the target',
  'lead.approved': 'approved lead sent on',
  'postback.out': 'postback to the webmaster',
};

/** The lead's own fields in reading order; the rest (its life at the target) is shown apart. */
const FIELD_ORDER: (keyof LeadInput)[] = [
  'name',
  'phone',
  'email',
  'country',
  'city',
  'region',
  'street',
  'zip',
  'address',
  'comment',
  'wm',
  'flow',
  'subid',
  'sub1',
  'sub2',
  'sub3',
  'sub4',
  'sub5',
  'utm_source',
  'utm_medium',
  'utm_campaign',
  'utm_content',
  'utm_term',
  'ip',
  'ua',
];

function Dash() {
  return <span className="lf-muted">—</span>;
}

/** True while a delivery runs or is about to. */
function deliveryUnderWay(deliveries: Job[]): boolean {
  return deliveries.some((d) => d.state === 'running' || (d.state === 'queued' && Date.parse(d.runAt) < Date.now() + 5000));
}

export function LeadPage({ leadId }: { leadId: number }) {
  // while a delivery is under way, follow it
  const query = useLead(leadId, { refetchInterval: (answer) => (answer && deliveryUnderWay(answer.deliveries) ? 2000 : false) });
  const { refetch } = query;
  const deliverLead = useDeliverLead();
  const delivering = deliverLead.isPending;
  const names = useNames();
  const error = query.error;
  const missing = error instanceof ApiError && error.status === 404 ? `No lead #${leadId}.` : '';
  // the last answer stays on screen when a later fetch fails
  const answer = query.data ?? null;

  useEffect(() => {
    if (error && !missing) notify('error', `Could not load the lead: ${error.message}`);
  }, [error, missing]);

  if (missing)
    return (
      <div className="lf-page">
        <p>{missing}</p>
        <a href="#/leads">All leads</a>
      </div>
    );
  if (!answer) return <div className="lf-page lf-muted">Loading…</div>;
  const { lead, history, deliveries, executions, delivery, handoffs } = answer;

  const deliver = async () => {
    const question =
      `Resend lead #${lead.id} to ${lead.integration ? names.integration(lead.integration) : 'its integration'}?\n\n` +
      `Its delivery is queued again with its attempts reset (it failed after ${delivery?.attempts ?? 0}), and the lead is sent to the target again.`;
    if (!window.confirm(question)) return;
    try {
      await deliverLead.mutateAsync(lead.id);
      notify('success', `Lead #${lead.id} is queued for delivery again`);
    } catch (e) {
      notify('error', `Not queued: ${(e as Error).message}`);
    }
  };

  const fields = FIELD_ORDER.filter((key) => lead[key] !== undefined && lead[key] !== '');

  return (
    <div className="lf-page lf-page--wide" data-testid="lead-page">
      <div className="lf-page__head">
        <a href="#/leads" className="lf-muted">
          ← Leads
        </a>
        <h1>Lead #{lead.id}</h1>
        <StageBadge stage={lead.stage} />
        <span className="lf-muted">
          <OfferName id={lead.offer} /> →{' '}
          {lead.integration ? (
            <IntegrationName id={lead.integration} />
          ) : (
            <span title="Its offer names no integration for new leads: the network processes them itself">our call centre</span>
          )}{' '}
          · {formatTime(lead.created_at)}
        </span>
        <span className="lf-toolbar__spacer" />
        {delivery?.state === 'failed' && (
          <button
            type="button"
            className="lf-btn lf-btn--primary"
            disabled={delivering}
            onClick={() => void deliver()}
            data-testid="deliver-again"
            title="Resend: queue the lead for its integration's lead.new flow again, its attempts reset"
          >
            {delivering ? 'Queueing…' : 'Resend'}
          </button>
        )}
        <a
          className="lf-btn"
          href={leadStoryUrl(lead.id)}
          download
          data-testid="lead-story"
          title="Everything about this lead — fields, history, deliveries, every run with its steps — as a JSON file, secrets masked"
        >
          ⤓ Story (JSON)
        </a>
        <button type="button" className="lf-btn" onClick={() => void refetch()}>
          ↻ Refresh
        </button>
      </div>
      <StageByHand key={`${lead.id} ${lead.stage}`} lead={lead} />

      <div className="lf-split">
        <section className="lf-box" data-testid="lead-status">
          <h3>At the target</h3>
          <dl className="lf-dl">
            <dt>stage</dt>
            <dd>
              <StageBadge stage={lead.stage} />
            </dd>
            <dt>delivery</dt>
            <dd data-testid="lead-delivery">
              {delivery ? (
                <>
                  <DeliveryBadge state={delivery.state} />{' '}
                  <span className="lf-muted lf-small">
                    {delivery.attempts} attempt{delivery.attempts === 1 ? '' : 's'}
                    {delivery.nextAttemptAt && ` · next ${formatTime(delivery.nextAttemptAt)}`}
                  </span>
                  {delivery.lastError && (
                    <div
                      className={`lf-small ${delivery.state === 'failed' ? 'lf-danger' : 'lf-muted'} lf-break`}
                      data-testid="lead-delivery-error"
                    >
                      {delivery.lastError}
                    </div>
                  )}
                </>
              ) : (
                <Dash />
              )}
            </dd>
            <dt>external id</dt>
            <dd>{lead.eid ? <code>{lead.eid}</code> : <Dash />}</dd>
            {(handoffs ?? []).map((h) => (
              <HandoffRow key={h.integration} handoff={h} />
            ))}
            <dt>raw status</dt>
            <dd data-testid="lead-raw-status">{lead.status ?? <Dash />}</dd>
            <dt>status code</dt>
            <dd data-testid="lead-status-code">{lead.statusCode !== undefined ? <code>{lead.statusCode}</code> : <Dash />}</dd>
            <dt>reason</dt>
            <dd>{lead.reason ?? <Dash />}</dd>
            <dt>operator comment</dt>
            <dd>{lead.statusComment ?? <Dash />}</dd>
            <dt>payout</dt>
            <dd>{lead.payout ?? <Dash />}</dd>
            <dt>updated</dt>
            <dd>{formatTime(lead.updated_at)}</dd>
          </dl>
        </section>
        <section className="lf-box" data-testid="lead-fields">
          <h3>Fields</h3>
          <dl className="lf-dl">
            {fields.map((key) => (
              <FieldRow key={key} name={key} value={String(lead[key])} />
            ))}
          </dl>
          {lead.goods && lead.goods.length > 0 && (
            <table className="lf-headers">
              <tbody>
                {lead.goods.map((g, i) => (
                  <tr key={i}>
                    <th>goods[{i}]</th>
                    <td>
                      {g.product} × {g.count}
                      {g.price !== undefined ? ` · ${g.price}` : ''}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {lead.meta && Object.keys(lead.meta).length > 0 && (
            <details>
              <summary className="lf-small lf-muted">meta</summary>
              <pre className="lf-pre">{JSON.stringify(lead.meta, null, 2)}</pre>
            </details>
          )}
        </section>
      </div>

      <section className="lf-section" data-testid="lead-history">
        <h3>Stage history</h3>
        {history.length === 0 ? (
          <p className="lf-muted">No stage change yet: the lead is still {lead.stage}.</p>
        ) : (
          <table className="lf-table lf-table--compact">
            <thead>
              <tr>
                <th>time</th>
                <th>change</th>
                <th>source</th>
                <th>raw status</th>
                <th>reason</th>
                <th>comment</th>
              </tr>
            </thead>
            <tbody>
              {history.map((h, i) => (
                <tr key={i}>
                  <td className="lf-nowrap">{formatTime(h.at)}</td>
                  <td className="lf-nowrap">
                    <StageBadge stage={h.from} /> → <StageBadge stage={h.stage} />
                  </td>
                  <td>{h.source}</td>
                  <td>{h.status ?? <Dash />}</td>
                  <td>{h.reason ?? <Dash />}</td>
                  <td>{h.comment ?? <Dash />}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>

      <section className="lf-section" data-testid="lead-deliveries">
        <h3>Deliveries</h3>
        {deliveries.length === 0 ? (
          <p className="lf-muted">Nothing was queued for this lead.</p>
        ) : (
          <table className="lf-table lf-table--compact">
            <thead>
              <tr>
                <th>kind</th>
                <th>state</th>
                <th className="lf-num">attempts</th>
                <th>last error</th>
                <th>next run</th>
                <th>updated</th>
              </tr>
            </thead>
            <tbody>
              {deliveries.map((job) => (
                <DeliveryRow key={job.id} job={job} />
              ))}
            </tbody>
          </table>
        )}
      </section>

      <section className="lf-section">
        <h3>
          Executions{' '}
          <a className="lf-small" href={hrefOf('log', { lead: lead.id })}>
            in the integration log
          </a>
        </h3>
        <p className="lf-help lf-small">
          Every run that worked on this lead: its deliveries, and the postbacks and status checks that changed it.
        </p>
        {executions.length === 0 ? (
          <p className="lf-muted">No flow has run for this lead yet.</p>
        ) : (
          <ExecutionTable executions={executions} showLead={false} />
        )}
      </section>
    </div>
  );
}

function FieldRow({ name, value }: { name: string; value: string }) {
  return (
    <>
      <dt>{name}</dt>
      <dd className="lf-break">{value}</dd>
    </>
  );
}

function JobState({ job }: { job: Job }) {
  const tone = job.state === 'done' ? 'ok' : job.state === 'failed' ? 'error' : job.lastError ? 'warn' : 'off';
  const label = job.state === 'queued' && job.lastError ? 'retrying' : job.state;
  return <span className={`lf-pill lf-pill--${tone}`}>{label}</span>;
}

function DeliveryRow({ job }: { job: Job }) {
  const attempts = job.kind === 'postback.out' && Array.isArray(job.payload.attempts) ? (job.payload.attempts as PostbackAttempt[]) : [];
  const stage = typeof job.payload.stage === 'string' ? job.payload.stage : undefined;
  return (
    <>
      <tr data-job-kind={job.kind} data-job-state={job.state}>
        <td>
          <code>{job.kind}</code> <span className="lf-muted lf-small">{KIND_LABEL[job.kind]}</span>
          {stage && <span className="lf-muted lf-small"> · stage {stage}</span>}
        </td>
        <td>
          <JobState job={job} />
        </td>
        <td className="lf-num">{job.attempts}</td>
        <td className="lf-cell-error">{job.lastError ? <span className="lf-small">{job.lastError}</span> : <Dash />}</td>
        <td className="lf-nowrap">{job.state === 'queued' ? formatTime(job.runAt) : <Dash />}</td>
        <td className="lf-nowrap">{formatTime(job.updatedAt)}</td>
      </tr>
      {attempts.length > 0 && (
        <tr className="lf-subrow">
          <td colSpan={6}>
            <details>
              <summary className="lf-small">
                {attempts.length} attempt{attempts.length === 1 ? '' : 's'} to reach the tracker
              </summary>
              <table className="lf-headers">
                <tbody>
                  {attempts.map((a, i) => (
                    <tr key={i}>
                      <th>{formatTime(a.at)}</th>
                      <td>
                        {a.status !== undefined ? (
                          <span className={`lf-pill lf-pill--${a.status >= 200 && a.status < 300 ? 'ok' : 'error'}`}>HTTP {a.status}</span>
                        ) : (
                          <span className="lf-pill lf-pill--error">{a.error ?? 'no answer'}</span>
                        )}{' '}
                        {formatMs(a.durationMs)} · <span className="lf-break">{a.url}</span>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </details>
          </td>
        </tr>
      )}
    </>
  );
}

/** An integration the lead was handed to at a stage (a fulfilment CRM), and the lead's id there. */
function HandoffRow({ handoff }: { handoff: LeadHandoff }) {
  return (
    <>
      <dt>
        id at <IntegrationName id={handoff.integration} />
      </dt>
      <dd data-testid={`lead-handoff-${handoff.integration}`}>{handoff.eid ? <code>{handoff.eid}</code> : <Dash />}</dd>
    </>
  );
}
