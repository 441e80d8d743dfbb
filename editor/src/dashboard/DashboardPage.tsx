/**
 * The operations dashboard: is everything flowing? Overall or for one integration (the selector),
 * over the last 24 hours, 7 or 30 days: leads by stage and per hour, the approval rate, failed
 * deliveries and retries waiting, the queue, open circuit breakers, the status checks' last runs
 * and time to first status. Live: the runtime's stream sends a fresh summary when leads change.
 * From here an integration's deliveries are paused or resumed, and its failed leads resent.
 */
import { DASHBOARD_RANGES, type DashboardRange, type DashboardSummary } from '../../../core/domain/dashboard.ts';
import { STAGES } from '../../../core/domain/lead.ts';
import type { SessionUser } from '../../../core/domain/user.ts';
import { useIntegrations } from '../api/queries.ts';
import { hrefOf, useHashQuery } from '../app/route.ts';
import { StageBadge, STAGE_HELP } from '../leads/StageBadge.tsx';
import { LeadsChart } from './LeadsChart.tsx';
import { BulkResend } from './BulkResend.tsx';
import { PauseButton } from './PauseButton.tsx';
import { useEventStream } from './useEventStream.ts';
import { DashboardChecks, FirstStatusTable } from './DashboardTables.tsx';
import './dashboard.css';

const RANGE_LABELS: Record<DashboardRange, string> = { '24h': 'Last 24 hours', '7d': 'Last 7 days', '30d': 'Last 30 days' };

export function DashboardPage({ user }: { user: SessionUser }) {
  const query = new URLSearchParams(useHashQuery());
  const integration = query.get('integration') ?? '';
  const range = (DASHBOARD_RANGES as readonly string[]).includes(query.get('range') ?? '') ? (query.get('range') as DashboardRange) : '24h';
  const integrations = useIntegrations();
  const params = new URLSearchParams({ range, ...(integration ? { integration } : {}) });
  const stream = useEventStream<DashboardSummary>(`/api/dashboard/stream?${params}`, ['summary']);
  // the previous stream's summary until this one's first arrives: not shown as this one's
  const summary = stream.data && stream.data.range === range && (stream.data.integration ?? '') === integration ? stream.data : undefined;
  const go = (next: { integration?: string; range?: DashboardRange }) => {
    location.hash = hrefOf('dashboard', { integration: next.integration ?? integration, range: next.range ?? range });
  };
  const chosen = integrations.data?.find((i) => i.id === integration);
  const canWrite = user.role !== 'viewer';

  return (
    <div className="lf-page lf-page--wide" data-testid="dashboard-page">
      <div className="lf-page__head">
        <h1>Dashboard</h1>
        <label className="lf-filter">
          <span className="lf-muted">Integration</span>
          <select
            className="lf-input"
            value={integration}
            onChange={(e) => go({ integration: e.target.value })}
            aria-label="Integration"
            data-testid="dashboard-integration"
          >
            <option value="">All integrations</option>
            {(integrations.data ?? []).map((i) => (
              <option key={i.id} value={i.id}>
                {i.name || i.id}
              </option>
            ))}
          </select>
        </label>
        <div className="lf-seg lf-dash__range" role="radiogroup" aria-label="Range">
          {DASHBOARD_RANGES.map((r) => (
            <label key={r} className={r === range ? 'is-on' : ''} data-testid={`range-${r}`}>
              <input type="radio" name="dashboard-range" checked={r === range} onChange={() => go({ range: r })} />
              {RANGE_LABELS[r]}
            </label>
          ))}
        </div>
        <span className="lf-toolbar__spacer" />
        <span className={`lf-dash__live ${stream.connected ? 'is-on' : ''}`} data-testid="dashboard-live">
          {stream.connected ? '● live' : '○ connecting…'}
        </span>
      </div>

      {chosen && (
        <div className="lf-row lf-dash__actions">
          <span>
            <a href={hrefOf(`integrations/${encodeURIComponent(chosen.id)}`)}>{chosen.name || chosen.id}</a>{' '}
            {chosen.paused ? (
              <span className="lf-pill lf-pill--warn">deliveries paused</span>
            ) : chosen.enabled ? (
              <span className="lf-pill lf-pill--ok">on</span>
            ) : (
              <span className="lf-pill lf-pill--off">off</span>
            )}
          </span>
          {canWrite && <PauseButton integration={chosen.id} paused={chosen.paused === true} />}
          <BulkResend integration={chosen.id} failed={summary?.delivery.failed ?? 0} canWrite={canWrite} />
        </div>
      )}
      {!integration && summary && summary.delivery.failed > 0 && (
        <div className="lf-row lf-dash__actions">
          <BulkResend failed={summary.delivery.failed} canWrite={canWrite} />
        </div>
      )}

      {!summary ? (
        <p className="lf-muted">Loading…</p>
      ) : (
        <>
          <div className="lf-dash__tiles">
            <Tile label={`Leads, ${RANGE_LABELS[range].toLowerCase()}`} value={summary.total} testId="tile-total" />
            <Tile
              label="Approval rate"
              value={summary.approvalRate === null ? '—' : `${Math.round(summary.approvalRate * 1000) / 10} %`}
              help="approved ÷ (approved + cancelled + trash): leads the target has decided on"
              testId="tile-approval"
            />
            <Tile
              label="Deliveries failed"
              value={summary.delivery.failed}
              tone={summary.delivery.failed > 0 ? 'bad' : undefined}
              help={
                summary.delivery.latest
                  ? `latest: lead #${summary.delivery.latest.lead}, ${summary.delivery.latest.error}`
                  : 'given up; they can be resent'
              }
              href={hrefOf('leads', { delivery: 'failed', ...(integration ? { integration } : {}) })}
              testId="tile-failed"
            />
            <Tile
              label="Retries waiting"
              value={summary.delivery.retrying}
              tone={summary.delivery.retrying > 0 ? 'warn' : undefined}
              testId="tile-retrying"
            />
            <Tile label="In the queue" value={summary.queue.queued} help={`${summary.queue.running} being sent now`} testId="tile-queue" />
            <Tile
              label="Circuit breakers open"
              value={summary.breakersOpen.length}
              tone={summary.breakersOpen.length > 0 ? 'bad' : undefined}
              help={summary.breakersOpen.length ? summary.breakersOpen.join(', ') : 'every target answers'}
              testId="tile-breakers"
            />
          </div>

          <div className="lf-dash__stages" data-testid="dashboard-stages">
            {STAGES.map((stage) => (
              <div key={stage} className="lf-dash__stage" title={STAGE_HELP[stage]}>
                <StageBadge stage={stage} />
                <a
                  className="lf-num lf-dash__count"
                  href={hrefOf('leads', { stage, integration: integration || undefined })}
                  data-testid={`stage-count-${stage}`}
                >
                  {summary.stages[stage]}
                </a>
              </div>
            ))}
          </div>

          <section className="lf-section">
            <h2>Leads per hour by stage</h2>
            <p className="lf-muted lf-small">Leads that came in each hour, by the stage they are in now.</p>
            <LeadsChart chart={summary.chart} />
          </section>

          <div className="lf-dash__tables">
            <FirstStatusTable rows={summary.firstStatus} />
            <DashboardChecks checks={summary.checks} />
          </div>
          {summary.paused.length > 0 && !integration && (
            <p className="lf-warn" data-testid="dashboard-paused">
              Deliveries paused: {summary.paused.join(', ')}
            </p>
          )}
          <p className="lf-muted lf-small">Updated {new Date(summary.at).toLocaleTimeString([], { timeZoneName: 'short' })}</p>
        </>
      )}
    </div>
  );
}

function Tile({
  label,
  value,
  help,
  tone,
  href,
  testId,
}: {
  label: string;
  value: number | string;
  help?: string;
  tone?: 'bad' | 'warn';
  /** Where the label leads (the leads it counts). */
  href?: string;
  testId: string;
}) {
  return (
    <div className={`lf-dash__tile ${tone ? `lf-dash__tile--${tone}` : ''}`} data-testid={testId}>
      <div className="lf-dash__label">{href ? <a href={href}>{label}</a> : label}</div>
      <div className="lf-dash__value lf-num">{value}</div>
      {help && <div className="lf-muted lf-small">{help}</div>}
    </div>
  );
}
