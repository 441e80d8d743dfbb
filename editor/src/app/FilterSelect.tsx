/** A list's filter: a labelled select whose first choice, "any", is the empty value. */
export interface FilterChoice {
  value: string;
  label: string;
  title?: string;
}

export function FilterSelect(props: {
  label: string;
  value: string;
  choices: FilterChoice[];
  onChange(value: string): void;
  testId: string;
}) {
  return (
    <label className="lf-filter">
      <span className="lf-muted">{props.label}</span>
      <select className="lf-input" value={props.value} onChange={(e) => props.onChange(e.target.value)} data-testid={props.testId}>
        <option value="">any</option>
        {props.choices.map((c) => (
          <option key={c.value} value={c.value} title={c.title}>
            {c.label}
          </option>
        ))}
      </select>
    </label>
  );
}

/** A list's date filter: a labelled day picker whose empty value means no bound. */
export function FilterDate(props: { label: string; value: string; onChange(value: string): void; testId: string }) {
  return (
    <label className="lf-filter">
      <span className="lf-muted">{props.label}</span>
      <input
        className="lf-input"
        type="date"
        value={props.value}
        onChange={(e) => props.onChange(e.target.value)}
        data-testid={props.testId}
      />
    </label>
  );
}
