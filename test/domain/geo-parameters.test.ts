import { describe, expect, it } from 'vitest';
import { offerParameters } from '../../core/domain/config.ts';
import { geoParameterTable, geoTableProblems, tableParameters } from '../../core/domain/geo-parameters.ts';

describe("an offer's parameters as a table by country", () => {
  const parameters = { crm_offer_id: '101', 'crm_offer_id-de': '201', 'crm_offer_id-AT': '301', 'stream-fr': 's-fr', landing: 'x' };

  it('has one row per parameter, a default column and a column per country some value is for', () => {
    expect(geoParameterTable(parameters)).toEqual({
      countries: ['at', 'de', 'fr'],
      rows: [
        { key: 'crm_offer_id', default: '101', byCountry: { de: '201', at: '301' } },
        { key: 'stream', byCountry: { fr: 's-fr' } },
        { key: 'landing', default: 'x', byCountry: {} },
      ],
    });
  });

  it('turns back into parameters that resolve for each country as the run time reads them', () => {
    const back = tableParameters(geoParameterTable(parameters));
    expect(offerParameters(back, 'DE').crm_offer_id).toBe('201');
    expect(offerParameters(back, 'AT').crm_offer_id).toBe('301');
    expect(offerParameters(back, 'FR').stream).toBe('s-fr');
    expect(offerParameters(back, 'PL')).toMatchObject({ crm_offer_id: '101', landing: 'x' });
    // an empty cell is no parameter
    expect(tableParameters({ countries: ['de'], rows: [{ key: 'a', default: '', byCountry: { de: '' } }] })).toEqual({});
  });

  it('names the row of a value without a name, a name given twice, and a name that reads as a country value', () => {
    const problems = geoTableProblems({
      countries: ['de'],
      rows: [
        { key: '', default: '1', byCountry: {} },
        { key: 'a', default: '1', byCountry: {} },
        { key: 'a', default: '2', byCountry: {} },
        { key: 'crm-de', default: '3', byCountry: {} },
        { key: '', byCountry: {} },
      ],
    });
    expect(problems.map((p) => p.row)).toEqual([0, 2, 3]);
    expect(problems[2].message).toContain('use the country column');
  });
});
