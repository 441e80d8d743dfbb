/**
 * The integration log: every execution of every flow, newest first, filtered by integration, flow,
 * lead, event, outcome and date, or the failed runs only (kept in the address, so a flow, an integration or a lead links to its own log), paged
 * backwards with "Older". A row opens the execution node by node; opened from a flow's log, the
 * execution also shows the path it took on the flow's canvas.
 */
import { useEffect } from 'react';
import { useExecutions, useFlows, useIntegrations } from '../api/queries.ts';
import { notify } from '../app/notices.ts';
import { hrefOf, useHashQuery } from '../app/route.ts';
import { ExecutionTable } from './ExecutionTable.tsx';
import { FilterSelect } from '../app/FilterSelect.tsx';
import { dayStart } from '../app/time.ts';
import { isOutcome, LogFilters } from './LogFilters.tsx';

const PAGE = 50;

export function LogPage() {
  const query = new URLSearchParams(useHashQuery());
  const integration = query.get('integration') ?? '';
  const flow = query.get('flow') ?? '';
  const lead = Number(query.get('lead')) || undefined;
  const before = Number(query.get('before')) || undefined;
  const event = query.get('event') ?? '';
  const outcome = query.get('outcome') ?? '';
  const errors = query.get('errors') === '1';
  const from = query.get('from') ?? '';
  const to = query.get('to') ?? '';
  const integrations = useIntegrations().data ?? [];
  const flows = useFlows().data ?? [];
  const answer = useExecutions({
    integration: integration || undefined,
    flow: flow || undefined,
    lead,
    event: event || undefined,
    outcome: isOutcome(outcome) ? outcome : undefined,
    errors: errors || undefined,
    from: dayStart(from),
    to: dayStart(to, 1),
    before,
    limit: PAGE,
  });
  const executions = answer.error ? [] : (answer.data ?? null);

  useEffect(() => {
    if (answer.error) notify('error', `Could not load the log: ${answer.error.message}`);
  }, [answer.error]);

  const filters = { integration, flow, lead, event, outcome, errors: errors ? '1' : '', from, to };
  const go = (next: Partial<typeof filters>) => {
    location.hash = hrefOf('log', { ...filters, ...next });
  };
  // the flows worth offering: those of the chosen integration, else all
  const chosen = integrations.find((i) => i.id === integration);
  const flowChoices = chosen ? flows.filter((f) => Object.values(chosen.flows).includes(f.id) || f.id === flow) : flows;

  return (
    <div className="lf-page lf-page--wide" data-testid="log-page">
      <div className="lf-page__head">
        <h1>Integration log</h1>
        <span className="lf-toolbar__spacer" />
        {lead !== undefined && (
          <span className="lf-tag">
            lead <a href={`#/leads/${lead}`}>#{lead}</a>{' '}
            <button type="button" className="lf-icon-btn" onClick={() => go({ lead: undefined })} aria-label="All leads">
              ×
            </button>
          </span>
        )}
        <FilterSelect
          label="Integration"
          value={integration}
          choices={integrations.map((i) => ({ value: i.id, label: i.name }))}
          onChange={(value) => go({ integration: value })}
          testId="filter-integration"
        />
        <FilterSelect
          label="Flow"
          value={flow}
          choices={flowChoices.map((f) => ({ value: f.id, label: f.name }))}
          onChange={(value) => go({ flow: value })}
          testId="filter-flow"
        />
        <button type="button" className="lf-btn" onClick={() => void answer.refetch()} title="Load the log again">
          ↻ Refresh
        </button>
      </div>
      <LogFilters values={{ event, outcome, errors, from, to }} onChange={(change) => go(change)} />
      <p className="lf-help lf-intro">
        Every run of a flow — deliveries, postbacks, status checks and test runs — node by node, with the HTTP requests sent and the answers
        got. Secrets are shown as [secret].
      </p>
      {executions === null ? (
        <p className="lf-muted">Loading…</p>
      ) : executions.length === 0 ? (
        <div className="lf-empty lf-muted">
          {errors && !integration && !flow && !lead && !event && !from && !to
            ? 'No run failed.'
            : integration || flow || lead || before || event || outcome || errors || from || to
              ? 'No executions match these filters.'
              : 'No flow has run yet.'}
        </div>
      ) : (
        <ExecutionTable executions={executions} openWith={flow ? { canvas: '1' } : {}} />
      )}
      <div className="lf-pager">
        {before !== undefined && (
          <a href={hrefOf('log', filters)} className="lf-btn">
            ← Newest
          </a>
        )}
        {executions && executions.length === PAGE && (
          <a href={hrefOf('log', { ...filters, before: executions[executions.length - 1].id })} className="lf-btn" data-testid="older">
            Older →
          </a>
        )}
      </div>
    </div>
  );
}
