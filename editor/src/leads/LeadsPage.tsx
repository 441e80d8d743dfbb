/**
 * Leads, newest first, each with its delivery state (a failed delivery flagged red): filtered by
 * stage, delivery state and integration (kept in the address, so Back returns to
 * the same list), paged backwards with "Older". A row opens the lead's page.
 */
import { useEffect } from 'react';
import { isStage, STAGES } from '../../../core/domain/lead.ts';
import { useIntegrations, useLeads } from '../api/queries.ts';
import { FilterSelect } from '../app/FilterSelect.tsx';
import { notify } from '../app/notices.ts';
import { formatWhen } from '../canvas/look.ts';
import { hrefOf, useHashQuery } from '../app/route.ts';
import { StageBadge, STAGE_HELP } from './StageBadge.tsx';
import { DELIVERY_STATES, isDeliveryState } from '../../../core/domain/delivery.ts';
import { DeliveryBadge, DELIVERY_HELP } from './DeliveryBadge.tsx';

const PAGE = 50;

export function LeadsPage() {
  const query = new URLSearchParams(useHashQuery());
  const stage = query.get('stage') ?? '';
  const integration = query.get('integration') ?? '';
  const delivery = query.get('delivery') ?? '';
  const before = Number(query.get('before')) || undefined;
  const integrations = useIntegrations().data ?? [];
  const answer = useLeads({
    stage: isStage(stage) ? stage : undefined,
    delivery: isDeliveryState(delivery) ? delivery : undefined,
    integration: integration || undefined,
    before,
    limit: PAGE,
  });
  const leads = answer.error ? [] : (answer.data ?? null);

  useEffect(() => {
    if (answer.error) notify('error', `Could not load the leads: ${answer.error.message}`);
  }, [answer.error]);

  const go = (next: { stage?: string; delivery?: string; integration?: string; before?: number }) => {
    location.hash = hrefOf('leads', { stage, delivery, integration, ...next });
  };
  const names = new Map(integrations.map((i) => [i.id, i.name]));

  return (
    <div className="lf-page lf-page--wide" data-testid="leads-page">
      <div className="lf-page__head">
        <h1>Leads</h1>
        <span className="lf-toolbar__spacer" />
        <FilterSelect
          label="Stage"
          value={stage}
          choices={STAGES.map((s) => ({ value: s, label: s, title: STAGE_HELP[s] }))}
          onChange={(value) => go({ stage: value })}
          testId="filter-stage"
        />
        <FilterSelect
          label="Delivery"
          value={delivery}
          choices={DELIVERY_STATES.map((d) => ({ value: d, label: d, title: DELIVERY_HELP[d] }))}
          onChange={(value) => go({ delivery: value })}
          testId="filter-delivery"
        />
        <FilterSelect
          label="Integration"
          value={integration}
          choices={integrations.map((i) => ({ value: i.id, label: i.name }))}
          onChange={(value) => go({ integration: value })}
          testId="filter-integration"
        />
        <button type="button" className="lf-btn" onClick={() => void answer.refetch()} title="Load the list again">
          ↻ Refresh
        </button>
      </div>
      {leads === null ? (
        <p className="lf-muted">Loading…</p>
      ) : leads.length === 0 ? (
        <div className="lf-empty lf-muted">
          {stage || delivery || integration || before
            ? 'No leads match these filters.'
            : 'No leads yet. The network posts them to POST /api/leads.'}
        </div>
      ) : (
        <table className="lf-table lf-table--compact lf-table--rows" data-testid="leads">
          <thead>
            <tr>
              <th>id</th>
              <th>created</th>
              <th>offer</th>
              <th>integration</th>
              <th>stage</th>
              <th>delivery</th>
              <th>external id</th>
              <th>raw status</th>
              <th>buyer</th>
            </tr>
          </thead>
          <tbody>
            {leads.map((lead) => (
              <tr
                key={lead.id}
                data-lead-id={lead.id}
                onClick={(e) => !(e.target as HTMLElement).closest('a') && (location.hash = `#/leads/${lead.id}`)}
              >
                <td>
                  <a href={`#/leads/${lead.id}`}>#{lead.id}</a>
                </td>
                <td className="lf-nowrap">{formatWhen(lead.created_at)}</td>
                <td>{lead.offer}</td>
                <td>{names.get(lead.integration) ?? lead.integration}</td>
                <td>
                  <StageBadge stage={lead.stage} />
                </td>
                <td>{lead.delivery ? <DeliveryBadge state={lead.delivery} /> : <span className="lf-muted">—</span>}</td>
                <td>{lead.eid ? <code>{lead.eid}</code> : <span className="lf-muted">—</span>}</td>
                <td className="lf-clip" title={[lead.status, lead.reason].filter(Boolean).join(' · ')}>
                  {lead.status ?? <span className="lf-muted">—</span>}
                  {lead.reason && <span className="lf-muted"> · {lead.reason}</span>}
                </td>
                <td className="lf-muted lf-clip">{[lead.name, lead.phone].filter(Boolean).join(' · ')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <div className="lf-pager">
        {before !== undefined && (
          <a href={hrefOf('leads', { stage, delivery, integration })} className="lf-btn">
            ← Newest
          </a>
        )}
        {leads && leads.length === PAGE && (
          <a
            href={hrefOf('leads', { stage, delivery, integration, before: leads[leads.length - 1].id })}
            className="lf-btn"
            data-testid="older"
          >
            Older →
          </a>
        )}
      </div>
    </div>
  );
}
