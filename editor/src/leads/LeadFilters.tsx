/**
 * The Leads page's search and filters, all kept in the address (`#/leads?q=…&stage=…`), so a
 * filtered list can be linked to and comes back after the browser's Back. The search box finds a
 * lead by its phone in any format, its email, our id or the id a target gave it.
 */
import { useState } from 'react';
import { STAGES } from '../../../core/domain/lead.ts';
import { DELIVERY_STATES } from '../../../core/domain/delivery.ts';
import { useIntegrations, useOffers, useSources } from '../api/queries.ts';
import { FilterDate, FilterSelect } from '../app/FilterSelect.tsx';
import { STAGE_HELP } from './StageBadge.tsx';
import { DELIVERY_HELP } from './DeliveryBadge.tsx';

/** The filters the address holds, as text ('' for "any"). */
export const LEAD_FILTERS = ['q', 'stage', 'delivery', 'integration', 'offer', 'source', 'from', 'to'] as const;
export type LeadFilterValues = Record<(typeof LEAD_FILTERS)[number], string>;

export function readLeadFilters(query: URLSearchParams): LeadFilterValues {
  return Object.fromEntries(LEAD_FILTERS.map((name) => [name, query.get(name) ?? ''])) as LeadFilterValues;
}

export function LeadFilters(props: { values: LeadFilterValues; onChange(change: Partial<LeadFilterValues>): void }) {
  const { values, onChange } = props;
  const [text, setText] = useState(values.q);
  const integrations = useIntegrations().data ?? [];
  const offers = useOffers().data ?? [];
  const sources = useSources().data ?? [];
  const any = LEAD_FILTERS.some((name) => values[name] !== '');
  return (
    <div className="lf-lead-filters" data-testid="lead-filters">
      <form
        className="lf-lead-search"
        onSubmit={(e) => {
          e.preventDefault();
          onChange({ q: text.trim() });
        }}
      >
        <input
          className="lf-input"
          type="search"
          value={text}
          onChange={(e) => setText(e.target.value)}
          placeholder="Phone (any format), email, lead id or the CRM's id"
          aria-label="Find a lead"
          data-testid="lead-search"
        />
        <button type="submit" className="lf-btn lf-btn--primary" data-testid="lead-search-go">
          Find
        </button>
      </form>
      <FilterSelect
        label="Stage"
        value={values.stage}
        choices={STAGES.map((s) => ({ value: s, label: s, title: STAGE_HELP[s] }))}
        onChange={(stage) => onChange({ stage })}
        testId="filter-stage"
      />
      <FilterSelect
        label="Delivery"
        value={values.delivery}
        choices={DELIVERY_STATES.map((d) => ({ value: d, label: d, title: DELIVERY_HELP[d] }))}
        onChange={(delivery) => onChange({ delivery })}
        testId="filter-delivery"
      />
      <FilterSelect
        label="Integration"
        value={values.integration}
        choices={integrations.map((i) => ({ value: i.id, label: i.name, title: 'its own leads and those handed to it' }))}
        onChange={(integration) => onChange({ integration })}
        testId="filter-integration"
      />
      <FilterSelect
        label="Offer"
        value={values.offer}
        choices={offers.map((o) => ({ value: o.id, label: o.name ?? o.id }))}
        onChange={(offer) => onChange({ offer })}
        testId="filter-offer"
      />
      <FilterSelect
        label="Source"
        value={values.source}
        choices={sources.map((s) => ({
          value: s.id,
          label: s.webmaster ? `${s.name ?? s.id} (webmaster ${s.webmaster})` : (s.name ?? s.id),
        }))}
        onChange={(source) => onChange({ source })}
        testId="filter-source"
      />
      <FilterDate label="From" value={values.from} onChange={(from) => onChange({ from })} testId="filter-from" />
      <FilterDate label="To" value={values.to} onChange={(to) => onChange({ to })} testId="filter-to" />
      {any && (
        <button
          type="button"
          className="lf-btn"
          onClick={() => {
            setText('');
            onChange(Object.fromEntries(LEAD_FILTERS.map((name) => [name, ''])));
          }}
          data-testid="filters-clear"
        >
          Clear filters
        </button>
      )}
    </div>
  );
}
