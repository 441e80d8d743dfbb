/**
 * The key-value row editor, written once: a name and a value per row, a × to remove a row and a link
 * to add one. Node params of kind `keyValue` use it with a template field for the value; screens
 * that edit plain settings use the default text input.
 *
 * @example
 * <KeyValueRows rows={rows} onChange={setRows} emptyValue="" label="setting" keyPlaceholder="base_url" addLabel="+ Add setting" />
 */
import type { ReactNode } from 'react';

/** One row: its name and its value (text, or a template for node params). */
export interface KeyValueRow<V = unknown> {
  key: string;
  value: V;
}

export interface KeyValueRowsProps<V> {
  rows: KeyValueRow<V>[];
  onChange(rows: KeyValueRow<V>[]): void;
  /** What a row is, for the fields' accessible names: `${label} row 2 name` unless {@link rowLabel} says otherwise. */
  label: string;
  rowLabel?(index: number, part: 'name' | 'value'): string;
  keyPlaceholder?: string;
  valuePlaceholder?: string;
  /** The add link's text; `+ Add row` by default. */
  addLabel?: string;
  /** The value a new row starts with. */
  emptyValue: V;
  readOnly?: boolean;
  id?: string;
  /** Draws a row's value field; a plain text input by default. */
  renderValue?(row: KeyValueRow<V>, setValue: (value: V) => void, ariaLabel: string): ReactNode;
  /** Shown on the add link's line, at its right (a Save button). */
  actions?: ReactNode;
}

const text = (value: unknown): string =>
  value === undefined || value === null ? '' : typeof value === 'string' ? value : JSON.stringify(value);

export function KeyValueRows<V>(props: KeyValueRowsProps<V>) {
  const { rows, onChange, readOnly } = props;
  const labelOf = props.rowLabel ?? ((i: number, part: 'name' | 'value') => `${props.label} row ${i + 1} ${part}`);
  const update = (i: number, row: KeyValueRow<V>) => onChange(rows.map((r, j) => (j === i ? row : r)));
  const add = !readOnly && (
    <button type="button" className="lf-link-btn" onClick={() => onChange([...rows, { key: '', value: props.emptyValue }])}>
      {props.addLabel ?? '+ Add row'}
    </button>
  );
  return (
    <div className="lf-kv" id={props.id}>
      {rows.map((row, i) => (
        <div className="lf-kv__row" key={i}>
          <input
            className="lf-input lf-kv__key"
            value={row.key}
            placeholder={props.keyPlaceholder ?? 'name'}
            aria-label={labelOf(i, 'name')}
            readOnly={readOnly}
            onChange={(e) => update(i, { ...row, key: e.target.value })}
          />
          {props.renderValue ? (
            props.renderValue(row, (value) => update(i, { ...row, value }), labelOf(i, 'value'))
          ) : (
            <input
              className="lf-input"
              value={text(row.value)}
              placeholder={props.valuePlaceholder}
              aria-label={labelOf(i, 'value')}
              readOnly={readOnly}
              onChange={(e) => update(i, { ...row, value: e.target.value as V })}
            />
          )}
          {!readOnly && (
            <button type="button" className="lf-icon-btn" title="Remove this row" onClick={() => onChange(rows.filter((_, j) => j !== i))}>
              ×
            </button>
          )}
        </div>
      ))}
      {props.actions ? (
        <div className="lf-row">
          {add}
          <span className="lf-toolbar__spacer" />
          {props.actions}
        </div>
      ) : (
        add
      )}
    </div>
  );
}
