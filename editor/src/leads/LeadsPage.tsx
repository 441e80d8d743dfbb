/**
 * Leads, newest first, each with its delivery state (a failed delivery flagged red): found by
 * phone, email or either id and filtered by stage, delivery state, integration, offer, source and
 * dates (kept in the address, so Back returns to the same list), "Load more" asking the server for
 * the page after the last one. The filtered list downloads as CSV, and its failed leads can be
 * resent in bulk (LeadsBulkResend.tsx). A row opens the lead's page.
 */
import { useEffect } from 'react';
import { isStage } from '../../../core/domain/lead.ts';
import { isDeliveryState } from '../../../core/domain/delivery.ts';
import type { LeadQuery } from '../../../core/api.ts';
import { useLeadPages } from '../api/queries.ts';
import { leadsCsvUrl } from '../api/client.ts';
import { notify } from '../app/notices.ts';
import { dayStart, formatTime } from '../app/time.ts';
import { hrefOf, useHashQuery } from '../app/route.ts';
import { StageBadge } from './StageBadge.tsx';
import { IntegrationName, OfferName } from './Names.tsx';
import { DeliveryBadge } from './DeliveryBadge.tsx';
import { LeadFilters, readLeadFilters, type LeadFilterValues } from './LeadFilters.tsx';
import { LeadsBulkResend } from './LeadsBulkResend.tsx';
import type { SessionUser } from '../../../core/domain/user.ts';

const PAGE = 50;

/** The API's query for the filters in the address (a date's "to" includes that whole day). */
function queryOf(values: LeadFilterValues): LeadQuery {
  return {
    q: values.q || undefined,
    stage: isStage(values.stage) ? values.stage : undefined,
    delivery: isDeliveryState(values.delivery) ? values.delivery : undefined,
    integration: values.integration || undefined,
    offer: values.offer || undefined,
    source: values.source || undefined,
    from: dayStart(values.from),
    to: dayStart(values.to, 1),
  };
}

/** Shows the list the filters select (the address holds them). */
function showLeads(values: LeadFilterValues): void {
  location.hash = hrefOf('leads', values);
}

export function LeadsPage({ user }: { user?: SessionUser }) {
  const values = readLeadFilters(new URLSearchParams(useHashQuery()));
  const query = queryOf(values);
  const answer = useLeadPages({ ...query, limit: PAGE });
  const leads = answer.error ? [] : (answer.data?.pages.flatMap((page) => page.leads) ?? null);

  useEffect(() => {
    if (answer.error) notify('error', `Could not load the leads: ${answer.error.message}`);
  }, [answer.error]);

  const filtered = Object.values(values).some((value) => value !== '');

  return (
    <div className="lf-page lf-page--wide" data-testid="leads-page">
      <div className="lf-page__head">
        <h1>Leads</h1>
        <span className="lf-toolbar__spacer" />
        <a
          className="lf-btn"
          href={leadsCsvUrl(query)}
          download
          data-testid="leads-export"
          title="Every lead these filters select, as a CSV file"
        >
          ⤓ Export CSV
        </a>
        <button type="button" className="lf-btn" onClick={() => void answer.refetch()} title="Load the list again">
          ↻ Refresh
        </button>
      </div>
      <LeadFilters key={values.q} values={values} onChange={(change) => showLeads({ ...values, ...change })} />
      <div className="lf-row" data-testid="leads-actions">
        <LeadsBulkResend query={query} canWrite={user !== undefined && user.role !== 'viewer'} />
      </div>
      {leads === null ? (
        <p className="lf-muted">Loading…</p>
      ) : leads.length === 0 ? (
        <div className="lf-empty lf-muted" data-testid="leads-empty">
          {values.q
            ? `No lead has the phone, email or id "${values.q}"${filtered ? ' among these filters' : ''}.`
            : filtered
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
                <td className="lf-nowrap">{formatTime(lead.created_at)}</td>
                <td>
                  <OfferName id={lead.offer} />
                </td>
                <td>
                  <IntegrationName id={lead.integration} />
                </td>
                <td>
                  <StageBadge stage={lead.stage} />
                </td>
                <td className="lf-clip" title={lead.deliveryError}>
                  {lead.delivery ? <DeliveryBadge state={lead.delivery} /> : <span className="lf-muted">—</span>}
                  {lead.deliveryError && (
                    <div className="lf-small lf-danger lf-clip" data-testid="lead-delivery-error">
                      {lead.deliveryError}
                    </div>
                  )}
                </td>
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
        {leads && leads.length > 0 && (
          <span className="lf-muted" data-testid="leads-count">
            {leads.length} shown{answer.hasNextPage ? ', more below' : ''}
          </span>
        )}
        {answer.hasNextPage && (
          <button
            type="button"
            className="lf-btn"
            disabled={answer.isFetchingNextPage}
            onClick={() => void answer.fetchNextPage()}
            data-testid="load-more"
          >
            {answer.isFetchingNextPage ? 'Loading…' : 'Load more'}
          </button>
        )}
      </div>
    </div>
  );
}
