/**
 * Country names in words for the offer screen's columns ("Germany" for `de`), from
 * i18n-iso-countries with its English names only (the other languages stay out of the bundle).
 */
import countries from 'i18n-iso-countries';
import en from 'i18n-iso-countries/langs/en.json';

countries.registerLocale(en);

/** `de` → `Germany`; a code that is no country → the code in capitals. */
export function countryName(code: string): string {
  return countries.getName(code.toUpperCase(), 'en', { select: 'official' }) ?? code.toUpperCase();
}

/** Every country, by name: `[code (lower case), name]`. */
export function allCountries(): [string, string][] {
  return Object.entries(countries.getNames('en', { select: 'official' }))
    .map(([code, name]): [string, string] => [code.toLowerCase(), name])
    .sort((a, b) => a[1].localeCompare(b[1]));
}
