/**
 * The helpers a Code node's script gets (`helpers.md5(…)`, `helpers.hmac(…)`, …): implemented on
 * the host, exposed one by one by the sandbox, so {@link HELPERS} is all a script can reach.
 * Signing keys never enter the guest: `helpers.key(name)` gives a stand-in that only the hash
 * helpers replace with the key.
 */
import { formatPhpDate, httpBuildQuery, phpUrlencode, toDate } from '../../core/template/php.ts';
import type { DigestEncoding, HashAlgorithm } from '../../core/node/contract.ts';
import { hasher } from './hash.ts';

/** Text of a helper argument: strings as they are, objects as JSON, nothing as ''. */
export function text(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

const ALGORITHMS: readonly HashAlgorithm[] = ['md5', 'sha1', 'sha256', 'sha512'];

function algorithmOf(value: unknown): HashAlgorithm {
  const name = text(value).toLowerCase().replace('-', '') as HashAlgorithm;
  if (!ALGORITHMS.includes(name)) throw new TypeError(`unknown hash "${text(value)}": use md5, sha1, sha256 or sha512`);
  return name;
}

function encodingOf(value: unknown): DigestEncoding {
  if (value === undefined || value === null || value === '') return 'hex';
  if (value === 'hex' || value === 'base64') return value;
  throw new TypeError(`unknown encoding "${text(value)}": use hex or base64`);
}

/** What `helpers.key(name)` gives the script in place of the key. */
function keyPlaceholder(name: string): string {
  return `\uE000key:${name}\uE001`;
}

/** Text with every key placeholder replaced by its key: only hashing sees keys. */
function withKeys(value: unknown, keys: Record<string, string>): string {
  return text(value).replace(/\uE000key:([^\uE001]*)\uE001/g, (_, name: string) => {
    if (!Object.hasOwn(keys, name)) throw new TypeError(`no signing key "${name}"`);
    return keys[name];
  });
}

function dateOf(value: unknown): Date {
  if (value === undefined || value === null || value === '') return new Date();
  const date = toDate(value);
  if (!date) throw new TypeError(`"${text(value)}" is not a date`);
  return date;
}

/** PHP's `rawurlencode`: RFC 3986, spaces as `%20`, `~` kept. */
function rawUrlencode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}

/**
 * The helpers a script gets, by name: implemented here on the host and exposed one by one, so
 * this list is all a script can reach. Arguments arrive as JSON copies.
 */
export const HELPERS: Record<string, { help: string; run(args: unknown[], keys: Record<string, string>): unknown }> = {
  md5: {
    help: 'md5(text, encoding = "hex"): the md5 of the text, hex or base64',
    run: ([data, enc], keys) => hasher.digest('md5', withKeys(data, keys), encodingOf(enc)),
  },
  sha1: { help: 'sha1(text, encoding = "hex")', run: ([data, enc], keys) => hasher.digest('sha1', withKeys(data, keys), encodingOf(enc)) },
  sha256: {
    help: 'sha256(text, encoding = "hex")',
    run: ([data, enc], keys) => hasher.digest('sha256', withKeys(data, keys), encodingOf(enc)),
  },
  sha512: {
    help: 'sha512(text, encoding = "hex")',
    run: ([data, enc], keys) => hasher.digest('sha512', withKeys(data, keys), encodingOf(enc)),
  },
  hmac: {
    help: 'hmac(algorithm, key, text, encoding = "hex"): HMAC with md5, sha1, sha256 or sha512, hex or base64; key may be helpers.key(name)',
    run: ([algorithm, key, data, enc], keys) => {
      const secret = withKeys(key, keys);
      if (secret === '') throw new TypeError('hmac needs a key');
      return hasher.digest(algorithmOf(algorithm), withKeys(data, keys), encodingOf(enc), secret);
    },
  },
  key: {
    help: "key(name): a stand-in for the signing key of that name (the node's Signing keys); only the hash helpers read it",
    run: ([name], keys) => {
      const wanted = text(name);
      if (!Object.hasOwn(keys, wanted)) {
        const known = Object.keys(keys);
        throw new TypeError(
          `no signing key "${wanted}": add it to the node's Signing keys${known.length ? ` (it has ${known.join(', ')})` : ''}`,
        );
      }
      return keyPlaceholder(wanted);
    },
  },
  base64Encode: {
    help: 'base64Encode(text): the UTF-8 bytes of the text in base64',
    run: ([value]) => Buffer.from(text(value), 'utf8').toString('base64'),
  },
  base64Decode: {
    help: 'base64Decode(base64): the text the base64 holds (UTF-8)',
    run: ([value]) => Buffer.from(text(value), 'base64').toString('utf8'),
  },
  urlencode: { help: "urlencode(text): PHP's urlencode (space → +)", run: ([value]) => phpUrlencode(text(value)) },
  rawurlencode: { help: "rawurlencode(text): PHP's rawurlencode (space → %20)", run: ([value]) => rawUrlencode(text(value)) },
  urldecode: {
    help: "urldecode(text): PHP's urldecode (+ → space)",
    run: ([value]) => decodeURIComponent(text(value).replace(/\+/g, ' ')),
  },
  httpBuildQuery: {
    help: "httpBuildQuery(object, { sort: true }): PHP's http_build_query; sort: keys in order first, as ksort does",
    run: ([data, options]) => httpBuildQuery(data, { sort: Boolean((options as { sort?: unknown } | undefined)?.sort) }),
  },
  date: {
    help: 'date(format = "Y-m-d H:i:s", when = now, timeZone = "UTC"): PHP\'s date(); when is a date text or epoch seconds/ms',
    run: ([format, when, zone]) =>
      formatPhpDate(dateOf(when), format === undefined || format === null ? 'Y-m-d H:i:s' : text(format), text(zone) || 'UTC'),
  },
  strtotime: {
    help: 'strtotime(text): epoch seconds of a date text ("2024-05-06 07:08:09" is read as UTC), or null',
    run: ([value]) => {
      const date = toDate(value);
      return date ? Math.floor(date.getTime() / 1000) : null;
    },
  },
  isoDate: {
    help: 'isoDate(when = now): the date as ISO 8601 in UTC ("2024-05-06T07:08:09.000Z"), or null',
    run: ([value]) => (value === undefined ? new Date() : (toDate(value) ?? null))?.toISOString() ?? null,
  },
  time: { help: 'time(): now, in epoch seconds', run: () => Math.floor(Date.now() / 1000) },
  port: {
    help: 'port(name, output): return this to leave by the port named ("out" or "error") with that output',
    run: ([name, output]) => ({ $port: text(name), $output: output ?? null }),
  },
  retry: {
    help: 'retry(reason): return this to stop the flow with a retryable failure (the lead is delivered again later)',
    run: ([reason]) => ({ $retry: text(reason) || 'the script asked for a retry' }),
  },
};
