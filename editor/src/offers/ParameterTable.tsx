/**
 * An offer's parameters as a table by country: one row per parameter, a column for its default and
 * one per country some value is for (`crm_offer_id-de` is the Germany column of `crm_offer_id`), and
 * a column added by picking a country. The split is the kernel's (core/domain/geo-parameters.ts),
 * the same rule the runtime resolves `{{offer.params.NAME}}` by for a lead's country.
 */
import type { GeoParameterTable } from '../../../core/domain/geo-parameters.ts';
import { allCountries, countryName } from './countries.ts';

export interface ParameterTableProps {
  table: GeoParameterTable;
  onChange(table: GeoParameterTable): void;
  /** The rows whose name is wrong, with the reason (shown under the row). */
  problems: { row: number; message: string }[];
}

export function ParameterTable({ table, onChange, problems }: ParameterTableProps) {
  const setRow = (i: number, row: GeoParameterTable['rows'][number]) =>
    onChange({ ...table, rows: table.rows.map((r, j) => (j === i ? row : r)) });
  const addCountry = (code: string) => code && onChange({ ...table, countries: [...table.countries, code].sort() });
  const removeCountry = (code: string) =>
    onChange({
      countries: table.countries.filter((c) => c !== code),
      rows: table.rows.map((row) => ({ ...row, byCountry: Object.fromEntries(Object.entries(row.byCountry).filter(([c]) => c !== code)) })),
    });
  const nameOf = (i: number) => table.rows[i].key.trim() || `parameter ${i + 1}`;
  return (
    <div className="lf-geo" data-testid="parameter-table">
      <div className="lf-geo__scroll">
        <table className="lf-table lf-table--compact lf-geo__table">
          <thead>
            <tr>
              <th className="lf-geo__name">parameter</th>
              <th>default (every country)</th>
              {table.countries.map((code) => (
                <th key={code} data-testid={`country-column-${code}`}>
                  <span className="lf-nowrap">
                    {countryName(code)} <span className="lf-muted">({code.toUpperCase()})</span>
                    <button
                      type="button"
                      className="lf-icon-btn"
                      title={`Remove the ${countryName(code)} column (its values go when you save)`}
                      aria-label={`Remove the ${countryName(code)} column`}
                      onClick={() => removeCountry(code)}
                    >
                      ×
                    </button>
                  </span>
                </th>
              ))}
              <th className="lf-geo__add">
                <select
                  className="lf-input"
                  value=""
                  onChange={(e) => addCountry(e.target.value)}
                  aria-label="Add a country column"
                  data-testid="add-country"
                >
                  <option value="">+ Add a country…</option>
                  {allCountries()
                    .filter(([code]) => !table.countries.includes(code))
                    .map(([code, name]) => (
                      <option key={code} value={code}>
                        {name}
                      </option>
                    ))}
                </select>
              </th>
            </tr>
          </thead>
          <tbody>
            {table.rows.map((row, i) => {
              const problem = problems.find((p) => p.row === i);
              return (
                <tr key={i} data-testid={`parameter-row-${i}`}>
                  <td className="lf-geo__name">
                    <input
                      className={`lf-input lf-input--mono${problem ? ' is-invalid' : ''}`}
                      value={row.key}
                      placeholder="crm_offer_id"
                      aria-label={`Parameter ${i + 1} name`}
                      onChange={(e) => setRow(i, { ...row, key: e.target.value })}
                    />
                    {problem && <div className="lf-field__error">{problem.message}</div>}
                  </td>
                  <td>
                    <input
                      className="lf-input"
                      value={row.default ?? ''}
                      aria-label={`${nameOf(i)}: default`}
                      onChange={(e) => setRow(i, { ...row, default: e.target.value })}
                    />
                  </td>
                  {table.countries.map((code) => (
                    <td key={code}>
                      <input
                        className="lf-input"
                        value={row.byCountry[code] ?? ''}
                        placeholder={row.default ? `default: ${row.default}` : ''}
                        aria-label={`${nameOf(i)}: ${countryName(code)}`}
                        onChange={(e) => setRow(i, { ...row, byCountry: { ...row.byCountry, [code]: e.target.value } })}
                      />
                    </td>
                  ))}
                  <td className="lf-actions">
                    <button
                      type="button"
                      className="lf-icon-btn"
                      title="Remove this parameter"
                      aria-label={`Remove ${nameOf(i)}`}
                      onClick={() => onChange({ ...table, rows: table.rows.filter((_, j) => j !== i) })}
                    >
                      ×
                    </button>
                  </td>
                </tr>
              );
            })}
            {table.rows.length === 0 && (
              <tr>
                <td colSpan={table.countries.length + 3} className="lf-muted">
                  No parameters yet. Flows read them as <code>{'{{offer.params.NAME}}'}</code>.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
      <button
        type="button"
        className="lf-link-btn"
        onClick={() => onChange({ ...table, rows: [...table.rows, { key: '', byCountry: {} }] })}
        data-testid="add-parameter"
      >
        + Add parameter
      </button>
    </div>
  );
}
