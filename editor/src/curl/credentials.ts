/**
 * Which parts of a curl command are credentials, and the secret each becomes: a URL parameter or
 * body field named like one (`api_key`, `token`, `key`, `secret`, `password`, …), an `id` whose
 * value looks like a key rather than a number (AlterCPA's `?id=17-3f9a…`), and the headers that
 * carry them (`Authorization`, `X-Api-Key`, `Api-Key`, …). The import stores each value in the
 * integration's secrets and writes `{{secrets.<name>}}` in its place, so no credential stays in the
 * flow as plain text.
 *
 * Pure: tested in test/editor/curl-credentials.test.ts.
 */

/** A credential found in the command: the secret's name, its value, and where it was, in words. */
export interface FoundSecret {
  name: string;
  value: string;
  where: string;
}

const norm = (key: string) => key.toLowerCase().replace(/[^a-z0-9]/g, '');

/** Field and parameter names that always hold a credential, normalised (lower case, letters and digits). */
const CREDENTIAL_KEYS = new Set([
  'apikey',
  'key',
  'token',
  'accesstoken',
  'apitoken',
  'authtoken',
  'authkey',
  'secret',
  'apisecret',
  'clientsecret',
  'secretkey',
  'privatekey',
  'password',
  'pass',
  'passwd',
  'pwd',
  'apipassword',
]);

/** Names that hold an identifier, or a key passed as one (`id=17-3f9a…`): a credential only by the look of the value. */
const ID_KEYS = new Set(['id', 'uid', 'user', 'userid', 'partner', 'partnerid', 'client', 'clientid', 'account', 'accountid']);

/** Headers that carry a credential, normalised. */
const CREDENTIAL_HEADERS = new Set([
  'authorization',
  'xapikey',
  'apikey',
  'xauthtoken',
  'xauthkey',
  'xtoken',
  'token',
  'xaccesstoken',
  'xapitoken',
  'xapisecret',
  'xsecret',
  'xkey',
]);

/**
 * A value that reads as a key rather than an identifier: a number and a hex or base-62 tail
 * (`17-3f9a0c…`), or a long run of letters and digits mixed (24 or more characters).
 */
export function looksLikeKey(value: string): boolean {
  const v = value.trim();
  if (/^\d+[-:_][A-Za-z0-9]{8,}$/.test(v)) return true;
  return /^[A-Za-z0-9_\-.]{24,}$/.test(v) && /[A-Za-z]/.test(v) && /\d/.test(v);
}

/** The secret's name for a field or header: `X-Api-Key` → `api_key`, `token` → `token`, `key` → `api_key`. */
export function secretName(key: string): string {
  const name = key
    .toLowerCase()
    .replace(/^x-/, '')
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_|_$/g, '');
  return name === 'key' || name === 'apikey' || ID_KEYS.has(norm(key)) ? 'api_key' : name || 'api_key';
}

/**
 * The secret a URL parameter or body field becomes, or undefined when it is no credential. A
 * signature (`sign`, `hash`, `signature`) is computed per request, so it is not one.
 */
export function fieldCredential(key: string, value: unknown): string | undefined {
  const k = norm(key);
  if (CREDENTIAL_KEYS.has(k)) return secretName(key);
  if (ID_KEYS.has(k) && typeof value === 'string' && looksLikeKey(value)) return secretName(key);
  return undefined;
}

/**
 * What a header carrying a credential becomes: the secret's name, the scheme kept in front of it
 * (`Bearer `), and the value stored; undefined for other headers.
 * @example headerCredential('Authorization', 'Bearer abc') // { name: 'token', prefix: 'Bearer ', value: 'abc' }
 */
export function headerCredential(header: string, value: string): { name: string; prefix: string; value: string } | undefined {
  if (!CREDENTIAL_HEADERS.has(norm(header))) return undefined;
  const scheme = /^(Bearer:?|Basic|Token)\s+/i.exec(value);
  const prefix = scheme ? scheme[0] : '';
  const name =
    header.toLowerCase() === 'authorization' ? (scheme && /basic/i.test(scheme[1]) ? 'basic_auth' : 'token') : secretName(header);
  return { name, prefix, value: value.slice(prefix.length) };
}

/**
 * The secrets of one import, each name once: a second credential under a name already taken with
 * another value gets `_2`, `_3`, … @returns the name each value is stored under.
 */
export class SecretsFound {
  readonly list: FoundSecret[] = [];

  add(name: string, value: string, where: string): string {
    const same = this.list.find((s) => s.value === value && (s.name === name || s.name.startsWith(`${name}_`)));
    if (same) return same.name;
    let unique = name;
    for (let i = 2; this.list.some((s) => s.name === unique); i++) unique = `${name}_${i}`;
    this.list.push({ name: unique, value, where });
    return unique;
  }
}
