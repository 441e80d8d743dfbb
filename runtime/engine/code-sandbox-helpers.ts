/**
 * The helpers a Code node's script gets (`helpers.md5(…)`, `helpers.hmac(…)`, …): implemented on
 * the host, exposed one by one by the sandbox, so {@link HELPERS} is all a script can reach.
 * Signing keys never enter the guest: `helpers.key(name)` gives a stand-in that only the hash
 * helpers replace with the key.
 */
import { formatPhpDate, httpBuildQuery, phpUrlencode, toDate } from '../../core/template/php.ts';
import type { DigestEncoding, HashAlgorithm } from '../../core/node/contract.ts';
import { hasher } from './hash.ts';
import type { CodeHelperName } from '../../core/node/code-helpers.ts';

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
 * this list is all a script can reach. Arguments arrive as JSON copies. Their signatures and docs
 * are the kernel's catalogue (`CODE_HELPERS` in core/node/code-helpers.ts, which the editor completes from); `log` is
 * installed by the sandbox itself.
 */
export const HELPERS: Record<Exclude<CodeHelperName, 'log'>, { run(args: unknown[], keys: Record<string, string>): unknown }> = {
  md5: {
    run: ([data, enc], keys) => hasher.digest('md5', withKeys(data, keys), encodingOf(enc)),
  },
  sha1: { run: ([data, enc], keys) => hasher.digest('sha1', withKeys(data, keys), encodingOf(enc)) },
  sha256: {
    run: ([data, enc], keys) => hasher.digest('sha256', withKeys(data, keys), encodingOf(enc)),
  },
  sha512: {
    run: ([data, enc], keys) => hasher.digest('sha512', withKeys(data, keys), encodingOf(enc)),
  },
  hmac: {
    run: ([algorithm, key, data, enc], keys) => {
      const secret = withKeys(key, keys);
      if (secret === '') throw new TypeError('hmac needs a key');
      return hasher.digest(algorithmOf(algorithm), withKeys(data, keys), encodingOf(enc), secret);
    },
  },
  key: {
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
    run: ([value]) => Buffer.from(text(value), 'utf8').toString('base64'),
  },
  base64Decode: {
    run: ([value]) => Buffer.from(text(value), 'base64').toString('utf8'),
  },
  urlencode: { run: ([value]) => phpUrlencode(text(value)) },
  rawurlencode: { run: ([value]) => rawUrlencode(text(value)) },
  urldecode: {
    run: ([value]) => decodeURIComponent(text(value).replace(/\+/g, ' ')),
  },
  httpBuildQuery: {
    run: ([data, options]) => httpBuildQuery(data, { sort: Boolean((options as { sort?: unknown } | undefined)?.sort) }),
  },
  date: {
    run: ([format, when, zone]) =>
      formatPhpDate(dateOf(when), format === undefined || format === null ? 'Y-m-d H:i:s' : text(format), text(zone) || 'UTC'),
  },
  strtotime: {
    run: ([value]) => {
      const date = toDate(value);
      return date ? Math.floor(date.getTime() / 1000) : null;
    },
  },
  isoDate: {
    run: ([value]) => (value === undefined ? new Date() : (toDate(value) ?? null))?.toISOString() ?? null,
  },
  time: { run: () => Math.floor(Date.now() / 1000) },
  port: {
    run: ([name, output]) => ({ $port: text(name), $output: output ?? null }),
  },
  retry: {
    run: ([reason]) => ({ $retry: text(reason) || 'the script asked for a retry' }),
  },
};
