/**
 * An offer's parameters as a table by country, the way the editor shows them: one row per
 * parameter, a default column and one column per country some parameter has a value for. The
 * same rule as {@link offerParameters} reads at run time: `key-de` (any two letters after the
 * last `-`) is `key`'s value for a lead from `de`, and wins over `key` there.
 */
import type { Parameters } from './config.ts';

/** One parameter: its default (`key`) and its value per country (`key-de`), by lower-case ISO code. */
export interface GeoParameterRow {
  key: string;
  /** Unset: the parameter has no default, only values for some countries. */
  default?: string;
  byCountry: Record<string, string>;
}

/** The table: countries in the order shown (alphabetical by code), rows in the parameters' order. */
export interface GeoParameterTable {
  countries: string[];
  rows: GeoParameterRow[];
}

/** `key-de` → `['key', 'de']`; a key without a two-letter tail → undefined. */
export function geoKey(key: string): [string, string] | undefined {
  const match = /^(.+)-([A-Za-z]{2})$/.exec(key);
  return match ? [match[1], match[2].toLowerCase()] : undefined;
}

/**
 * The parameters as a table.
 * @example geoParameterTable({ crm_offer_id: '101', 'crm_offer_id-de': '201' })
 * // { countries: ['de'], rows: [{ key: 'crm_offer_id', default: '101', byCountry: { de: '201' } }] }
 */
export function geoParameterTable(parameters: Parameters): GeoParameterTable {
  const rows = new Map<string, GeoParameterRow>();
  const countries = new Set<string>();
  const rowOf = (key: string) => rows.get(key) ?? rows.set(key, { key, byCountry: {} }).get(key)!;
  for (const [key, value] of Object.entries(parameters)) {
    const geo = geoKey(key);
    if (geo) {
      rowOf(geo[0]).byCountry[geo[1]] = value;
      countries.add(geo[1]);
    } else rowOf(key).default = value;
  }
  return { countries: [...countries].sort(), rows: [...rows.values()] };
}

/**
 * The table back as parameters: `key` for a default, `key-<code>` for each country value. A cell
 * left empty is no parameter (an empty default lets the country values stand alone).
 */
export function tableParameters(table: GeoParameterTable): Parameters {
  const parameters: Parameters = {};
  for (const row of table.rows) {
    if (row.default !== undefined && row.default !== '') parameters[row.key] = row.default;
    for (const country of table.countries) {
      const value = row.byCountry[country];
      if (value !== undefined && value !== '') parameters[`${row.key}-${country}`] = value;
    }
  }
  return parameters;
}

/**
 * What is wrong with the table before it is saved, naming the row: a value without a name, a name
 * given twice, a name that itself reads as a country value (`crm-de`: use the Germany column).
 */
export function geoTableProblems(table: GeoParameterTable): { row: number; message: string }[] {
  const problems: { row: number; message: string }[] = [];
  const seen = new Set<string>();
  for (const [i, row] of table.rows.entries()) {
    const key = row.key.trim();
    const filled = (row.default ?? '') !== '' || Object.values(row.byCountry).some((v) => v !== '');
    if (!key) {
      if (filled) problems.push({ row: i, message: `parameter ${i + 1} has values but no name` });
      continue;
    }
    const geo = geoKey(key);
    if (geo)
      problems.push({
        row: i,
        message: `“${key}” reads as the ${geo[1].toUpperCase()} value of “${geo[0]}”: name it “${geo[0]}” and use the country column`,
      });
    if (seen.has(key)) problems.push({ row: i, message: `“${key}” is named twice` });
    seen.add(key);
  }
  return problems;
}
