/**
 * The "New from template" form's choice of whether the integration goes live as it is created.
 * Ticked (as before), one with nothing missing is switched on at once; unticked, it is created off
 * (`enabled: false`), so its flows can be tested first — a test run sends nothing to the target —
 * and it is switched on from its page.
 */
export function SwitchOnAtOnce({ on, onChange }: { on: boolean; onChange(on: boolean): void }) {
  return (
    <div className="lf-field">
      <label className="lf-check">
        <input type="checkbox" checked={on} onChange={(e) => onChange(e.target.checked)} data-testid="switch-on-at-once" />
        Switch it on at once when nothing required is missing
      </label>
      <p className="lf-help">
        {on
          ? 'New leads of its offers go to the target from then on; with something missing it is created off, with a list of what to fill in.'
          : 'It is created off: test its flows first (a test run stops before sending), then switch it on from its page.'}
      </p>
    </div>
  );
}
