/**
 * Reads a curl command the way a target's API documentation prints it: its words as the shell
 * splits them, and the request they make (method, URL, headers, data, form, credentials, timeout).
 * What nodes that request implies is `to-nodes.ts`. Pure: no DOM, no store.
 */
import type { KeyValue } from '../../../core/node/contract.ts';

export interface CurlRequest {
  method: string;
  url: string;
  headers: { name: string; value: string }[];
  /** `-d` and friends, in order; joined with `&` as curl does. */
  data: string[];
  /** `--data-urlencode` parts, already split into name and value. */
  urlencoded: KeyValue[];
  /** `-F` fields. */
  form: KeyValue[];
  /** `--json` given. */
  json: boolean;
  /** `-G`: the data goes into the URL. */
  get: boolean;
  user?: string;
  timeoutMs?: number;
}

export class CurlError extends Error {}

/** Splits a shell command line into words: quotes, `$'…'`, backslashes, line continuations. */
export function shellWords(command: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let i = 0;
  const s = command.replace(/\\\r?\n/g, ' ').replace(/\^\r?\n/g, ' ');
  while (i < s.length) {
    const c = s[i];
    if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      i++;
    } else if (c === "'") {
      const end = s.indexOf("'", i + 1);
      if (end < 0) throw new CurlError("a quote (') is not closed");
      word += s.slice(i + 1, end);
      inWord = true;
      i = end + 1;
    } else if (c === '$' && s[i + 1] === "'") {
      i += 2;
      while (i < s.length && s[i] !== "'") {
        if (s[i] === '\\' && i + 1 < s.length) {
          const n = s[i + 1];
          word += n === 'n' ? '\n' : n === 't' ? '\t' : n === 'r' ? '\r' : n;
          i += 2;
        } else word += s[i++];
      }
      if (i >= s.length) throw new CurlError("a quote ($') is not closed");
      i++;
      inWord = true;
    } else if (c === '"') {
      i++;
      while (i < s.length && s[i] !== '"') {
        if (s[i] === '\\' && i + 1 < s.length && '"\\$`'.includes(s[i + 1])) {
          word += s[i + 1];
          i += 2;
        } else word += s[i++];
      }
      if (i >= s.length) throw new CurlError('a quote (") is not closed');
      i++;
      inWord = true;
    } else if (c === '\\' && i + 1 < s.length) {
      word += s[i + 1];
      i += 2;
      inWord = true;
    } else {
      word += c;
      inWord = true;
      i++;
    }
  }
  if (inWord) words.push(word);
  return words;
}

const WITH_VALUE: Record<string, string> = {
  '-X': 'request',
  '--request': 'request',
  '-H': 'header',
  '--header': 'header',
  '-d': 'data',
  '--data': 'data',
  '--data-raw': 'data',
  '--data-binary': 'data',
  '--data-ascii': 'data',
  '--data-urlencode': 'urlencode',
  '-F': 'form',
  '--form': 'form',
  '--form-string': 'form',
  '--json': 'json',
  '-u': 'user',
  '--user': 'user',
  '-A': 'agent',
  '--user-agent': 'agent',
  '-e': 'referer',
  '--referer': 'referer',
  '-b': 'cookie',
  '--cookie': 'cookie',
  '--url': 'url',
  '-m': 'maxtime',
  '--max-time': 'maxtime',
  // read and ignored
  '-o': 'ignore',
  '--output': 'ignore',
  '--connect-timeout': 'ignore',
  '-w': 'ignore',
  '--write-out': 'ignore',
  '--retry': 'ignore',
  '-x': 'ignore',
  '--proxy': 'ignore',
  '--cacert': 'ignore',
  '--cert': 'ignore',
  '-c': 'ignore',
  '--cookie-jar': 'ignore',
};

/** Parses `curl …` into the request it sends. @throws CurlError naming what is wrong. */
export function parseCurl(command: string): CurlRequest {
  const words = shellWords(command.trim());
  if (words[0] !== 'curl') throw new CurlError('this does not start with "curl"');
  const request: CurlRequest = { method: '', url: '', headers: [], data: [], urlencoded: [], form: [], json: false, get: false };
  for (let i = 1; i < words.length; i++) {
    let flag = words[i];
    let value: string | undefined;
    if (flag.startsWith('--') && flag.includes('=')) {
      value = flag.slice(flag.indexOf('=') + 1);
      flag = flag.slice(0, flag.indexOf('='));
    } else if (/^-[XHdFuAebmo]./.test(flag)) {
      value = flag.slice(2);
      flag = flag.slice(0, 2);
    }
    const kind = WITH_VALUE[flag];
    if (kind) {
      if (value === undefined) {
        value = words[++i];
        if (value === undefined) throw new CurlError(`${flag} needs a value`);
      }
      switch (kind) {
        case 'request':
          request.method = value.toUpperCase();
          break;
        case 'header': {
          const colon = value.indexOf(':');
          if (colon > 0) request.headers.push({ name: value.slice(0, colon).trim(), value: value.slice(colon + 1).trim() });
          break;
        }
        case 'data':
          request.data.push(value);
          break;
        case 'json':
          request.data.push(value);
          request.json = true;
          break;
        case 'urlencode': {
          const eq = value.indexOf('=');
          if (eq > 0) request.urlencoded.push({ key: value.slice(0, eq), value: value.slice(eq + 1) });
          else request.urlencoded.push({ key: eq === 0 ? value.slice(1) : value, value: '' });
          break;
        }
        case 'form': {
          const eq = value.indexOf('=');
          if (eq > 0) request.form.push({ key: value.slice(0, eq), value: value.slice(eq + 1).replace(/^"(.*)"$/, '$1') });
          break;
        }
        case 'user':
          request.user = value;
          break;
        case 'agent':
          request.headers.push({ name: 'User-Agent', value });
          break;
        case 'referer':
          request.headers.push({ name: 'Referer', value });
          break;
        case 'cookie':
          request.headers.push({ name: 'Cookie', value });
          break;
        case 'url':
          request.url = value;
          break;
        case 'maxtime':
          if (Number(value) > 0) request.timeoutMs = Math.round(Number(value) * 1000);
          break;
      }
    } else if (flag === '-G' || flag === '--get') {
      request.get = true;
    } else if (flag.startsWith('-') && flag.length > 1) {
      // -s, -S, -k, -L, -v, -i, --compressed, --location, -sSL: nothing the request depends on
    } else if (!request.url) {
      request.url = flag;
    }
  }
  if (!request.url) throw new CurlError('no URL found in the command');
  if (!/^[a-z]+:\/\//i.test(request.url)) request.url = `http://${request.url}`;
  if (!request.method) {
    const hasBody = request.data.length > 0 || request.urlencoded.length > 0 || request.form.length > 0;
    request.method = hasBody && !request.get ? 'POST' : 'GET';
  }
  return request;
}
