/**
 * Secret redaction for everything the runtime records or answers: a secret's value, in any of the
 * forms a template or a node can put it in, becomes `[secret]`. Masking by value catches a secret
 * wherever a flow put it: a header, a query string, a body, an error message a target echoed.
 *
 * The forms ({@link secretForms}): the value as is, upper- or lower-cased, then written as is, URL-encoded
 * (PHP's `urlencode` and `rawurlencode`), JSON-escaped, hex or base64 (standard and URL-safe, at each
 * of the three alignments a value can have inside a longer encoded text), and any of those once more
 * URL-encoded or JSON-escaped. Matching ignores case, which covers upper- or lower-casing after the
 * encoding (hex in capitals).
 */
import { phpUrlencode } from '../../core/template/php.ts';

export const REDACTED = '[secret]';

/** Secrets shorter than this are not masked: "1" would blank every digit in a record. */
const MIN_LENGTH = 4;

const jsonEscaped = (s: string) => JSON.stringify(s).slice(1, -1);
const textual = [(s: string) => s, encodeURIComponent, phpUrlencode, jsonEscaped];

/**
 * The base64 texts a value shows inside any base64 text it is part of: at each alignment the whole
 * groups of three bytes it fills (the value alone encodes to the first, padding and all).
 */
function base64Forms(value: string): string[] {
  const bytes = Buffer.from(value, 'utf8');
  const out = [bytes.toString('base64')];
  for (let skip = 0; skip < 3; skip++) {
    const whole = Math.floor((bytes.length - skip) / 3) * 3;
    if (whole >= 6) out.push(bytes.subarray(skip, skip + whole).toString('base64'));
  }
  return [...out, ...out.map((b) => b.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, ''))];
}

const formCache = new Map<string, string[]>();

/** Every form of `secret` redaction masks and the host check looks for (lower-cased, longest first). */
export function secretForms(secret: string): string[] {
  const cached = formCache.get(secret);
  if (cached) return cached;
  const inner = new Set<string>();
  for (const cased of [secret, secret.toUpperCase(), secret.toLowerCase()]) {
    for (const write of textual) inner.add(write(cased));
    inner.add(Buffer.from(cased, 'utf8').toString('hex'));
    for (const b of base64Forms(cased)) inner.add(b);
  }
  const forms = new Set<string>();
  for (const form of inner) for (const write of textual) forms.add(write(form).toLowerCase());
  const result = [...forms].filter((f) => f.length >= MIN_LENGTH).sort((a, b) => b.length - a.length);
  if (formCache.size > 5000) formCache.clear();
  formCache.set(secret, result);
  return result;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

const patternCache = new Map<string, RegExp>();

/**
 * One case-blind pattern matching any of the forms, longest first. Built once per set of forms
 * (every run of an integration has the same secrets, and compiling it was a few % of a run's CPU);
 * the pattern is global, so a caller using `test` or `exec` sets `lastIndex` first (`replace` does).
 */
export function formsPattern(forms: Iterable<string>): RegExp {
  const sorted = [...new Set(forms)].sort((a, b) => b.length - a.length || (a < b ? -1 : a > b ? 1 : 0));
  const key = sorted.join('\u0000');
  let pattern = patternCache.get(key);
  if (!pattern) {
    if (patternCache.size > 1000) patternCache.clear();
    pattern = new RegExp(sorted.map(escapeRegExp).join('|'), 'gi');
    patternCache.set(key, pattern);
  }
  return pattern;
}

/** What a redactor of a set of secrets starts from, built once per set (every run of an integration has the same). */
interface RedactorBase {
  forms: Set<string>;
  shortest: number;
  pattern?: RegExp;
}

const baseCache = new Map<string, RedactorBase>();

function baseOf(secrets: string[]): RedactorBase {
  const key = secrets.join('\u0000');
  let base = baseCache.get(key);
  if (!base) {
    base = { forms: new Set(), shortest: Infinity };
    for (const secret of secrets) {
      if (typeof secret !== 'string' || secret.length < MIN_LENGTH) continue;
      for (const form of secretForms(secret)) {
        base.forms.add(form);
        base.shortest = Math.min(base.shortest, form.length);
      }
    }
    if (baseCache.size > 1000) baseCache.clear();
    baseCache.set(key, base);
  }
  return base;
}

export class Redactor {
  /** The forms masked; the shared base's until this redactor learns one of its own. */
  private forms: Set<string>;
  /** The base this redactor still shares (its pattern is built once for all), or undefined once it added a form. */
  private base: RedactorBase | undefined;
  /** The pattern of every form; built on first use after a change. */
  private pattern: RegExp | undefined;
  /** The shortest form's length: a shorter text holds none, and most texts in a record are short. */
  private shortest: number;

  constructor(secrets: Iterable<string> = []) {
    this.base = baseOf([...secrets]);
    this.forms = this.base.forms;
    this.shortest = this.base.shortest;
    this.pattern = this.base.pattern;
  }

  /** The values {@link Redactor.learn} was given, in order, once each. */
  private readonly learntValues: string[] = [];

  /**
   * Masks a value learnt at run time (a cookie, a token the target gave) like a secret, and keeps
   * it in {@link Redactor.learnt}: a run continued later (runtime/engine/checkpoint.ts) masks it too.
   */
  learn(value: string): void {
    if (typeof value !== 'string' || value.length < MIN_LENGTH || this.learntValues.includes(value)) return;
    this.learntValues.push(value);
    this.add(value);
  }

  /** The values learnt at run time ({@link Redactor.learn}). */
  get learnt(): readonly string[] {
    return this.learntValues;
  }

  add(secret: string): void {
    if (typeof secret !== 'string' || secret.length < MIN_LENGTH) return;
    this.pattern = undefined;
    if (this.base) {
      this.forms = new Set(this.forms);
      this.base = undefined;
    }
    for (const form of secretForms(secret)) {
      this.forms.add(form);
      this.shortest = Math.min(this.shortest, form.length);
    }
  }

  get empty(): boolean {
    return this.forms.size === 0;
  }

  /**
   * The text with every secret masked; longer forms first so a secret inside another is not
   * half-masked. `mask` replaces them (a URL takes `%5Bsecret%5D`).
   */
  text(value: string, mask = REDACTED): string {
    if (value.length < this.shortest) return value;
    if (!this.pattern) {
      this.pattern = formsPattern(this.forms);
      if (this.base) this.base.pattern = this.pattern;
    }
    return value.replace(this.pattern, () => mask);
  }

  /**
   * A JSON-safe copy of the value with every secret masked: what `JSON.parse(JSON.stringify(value))`
   * gives (`toJSON` applied, `undefined` and functions dropped, or `null` in arrays, non-finite
   * numbers `null`), with the masking applied to each string and key. Built in one walk: the
   * stringify, the scan of the whole text and the parse this once was cost an execution record
   * about a fifth of a delivery's CPU.
   */
  value<T>(value: T): T {
    if (value === undefined) return value;
    return this.copy(value, '', []) as T;
  }

  /** `key`: the value's key or index in its parent, what `toJSON` is given (as a string). */
  private copy(value: unknown, key: string | number, parents: object[]): unknown {
    if (value !== null && typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON === 'function') {
      value = (value as { toJSON(key: string): unknown }).toJSON(String(key));
    }
    switch (typeof value) {
      case 'string':
        return this.text(value);
      case 'number':
        return Number.isFinite(value) ? value : null;
      case 'boolean':
        return value;
      case 'bigint':
        throw new TypeError('Do not know how to serialize a BigInt');
      case 'object':
        break;
      default:
        return undefined;
    }
    if (value === null) return null;
    if (value instanceof Number || value instanceof String || value instanceof Boolean) return this.copy(value.valueOf(), key, parents);
    if (parents.includes(value)) throw new TypeError('Converting circular structure to JSON');
    parents.push(value);
    let out: unknown;
    // loops, not `map` and `Object.keys`: no closure, key array or index string per container copied
    if (Array.isArray(value)) {
      const copy: unknown[] = [];
      for (let index = 0; index < value.length; index++) copy.push(this.copy(value[index], index, parents) ?? null);
      out = copy;
    } else {
      const copy: Record<string, unknown> = {};
      for (const name in value) {
        if (!Object.hasOwn(value, name)) continue;
        const item = this.copy((value as Record<string, unknown>)[name], name, parents);
        if (item !== undefined) copy[this.text(name)] = item;
      }
      out = copy;
    }
    parents.pop();
    return out;
  }
}
