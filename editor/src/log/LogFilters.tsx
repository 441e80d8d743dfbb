/**
 * The integration log's second row of filters: the failed runs only, an event, an outcome, and the
 * days the runs started (the browser's time zone). Each one is kept in the address.
 */
import { FLOW_EVENTS } from '../../../core/domain/config.ts';
import type { ExecutionState } from '../../../core/domain/execution.ts';
import { FilterDate, FilterSelect } from '../app/FilterSelect.tsx';

const OUTCOMES: { value: ExecutionState; label: string; title: string }[] = [
  { value: 'success', label: 'success', title: 'the flow ran to its end' },
  { value: 'error', label: 'failed', title: 'the flow failed: the target refused, no verdict, or it gave up' },
  { value: 'waiting', label: 'waiting', title: 'waiting for the target, continued later' },
  { value: 'stopped', label: 'stopped before sending', title: 'a dry test run' },
];

export function isOutcome(value: string): value is ExecutionState {
  return OUTCOMES.some((o) => o.value === value);
}

export interface LogFilterValues {
  event: string;
  outcome: string;
  errors: boolean;
  from: string;
  to: string;
}

export function LogFilters(props: { values: LogFilterValues; onChange(change: Partial<Record<keyof LogFilterValues, string>>): void }) {
  const { values, onChange } = props;
  return (
    <div className="lf-lead-filters" data-testid="log-filters">
      <label className="lf-filter">
        <input
          type="checkbox"
          checked={values.errors}
          onChange={(e) => onChange({ errors: e.target.checked ? '1' : '', outcome: '' })}
          data-testid="filter-errors"
        />
        <span>Failed runs only</span>
      </label>
      <FilterSelect
        label="Event"
        value={values.event}
        choices={FLOW_EVENTS.map((e) => ({ value: e, label: e }))}
        onChange={(event) => onChange({ event })}
        testId="filter-event"
      />
      {!values.errors && (
        <FilterSelect
          label="Outcome"
          value={values.outcome}
          choices={OUTCOMES}
          onChange={(outcome) => onChange({ outcome })}
          testId="filter-outcome"
        />
      )}
      <FilterDate label="From" value={values.from} onChange={(from) => onChange({ from })} testId="log-from" />
      <FilterDate label="To" value={values.to} onChange={(to) => onChange({ to })} testId="log-to" />
    </div>
  );
}
