/**
 * The offer's duplicate check as a small form: off, or the fields that make two leads the same
 * (any one matching is enough), the window in days, and what happens to a repeat — refused (the
 * poster gets 409 naming the first lead) or kept in trash. The rule is the kernel's
 * (core/domain/duplicates.ts); the intake applies it.
 */
import { DUPLICATE_ACTIONS } from '../../../core/domain/duplicates.ts';
import type { DuplicateDraft } from './draft.ts';

const ACTION_WORDS: Record<(typeof DUPLICATE_ACTIONS)[number], string> = {
  refuse: 'refuse it (the poster gets 409 naming the first lead; nothing is stored)',
  trash: 'keep it in trash (stored with reason “duplicate”, sent nowhere)',
};

export function DuplicateCheck({ value, onChange }: { value: DuplicateDraft; onChange(value: DuplicateDraft): void }) {
  return (
    <div data-testid="duplicate-check">
      <label className="lf-check">
        <input
          type="checkbox"
          checked={value.on}
          onChange={(e) => onChange({ ...value, on: e.target.checked })}
          data-testid="duplicates-on"
        />
        Check new leads for repeats
      </label>
      {value.on && (
        <div className="lf-row lf-dup">
          <label className="lf-dup__fields">
            <span className="lf-muted lf-small">the same when any of these match (phone, email, ip, a lead field, meta.NAME)</span>
            <input
              className="lf-input lf-input--mono"
              value={value.fields}
              placeholder="phone, email"
              aria-label="Duplicate check fields"
              onChange={(e) => onChange({ ...value, fields: e.target.value })}
              data-testid="duplicates-fields"
            />
          </label>
          <label>
            <span className="lf-muted lf-small">within days</span>
            <input
              className="lf-input lf-dup__days"
              value={value.days}
              inputMode="numeric"
              aria-label="Duplicate check days"
              onChange={(e) => onChange({ ...value, days: e.target.value })}
              data-testid="duplicates-days"
            />
          </label>
          <label className="lf-dup__action">
            <span className="lf-muted lf-small">a repeat is</span>
            <select
              className="lf-input"
              value={value.action}
              aria-label="What happens to a repeat"
              onChange={(e) => onChange({ ...value, action: e.target.value as DuplicateDraft['action'] })}
              data-testid="duplicates-action"
            >
              {DUPLICATE_ACTIONS.map((action) => (
                <option key={action} value={action}>
                  {ACTION_WORDS[action]}
                </option>
              ))}
            </select>
          </label>
        </div>
      )}
    </div>
  );
}
