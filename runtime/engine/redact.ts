/**
 * Secret redaction for everything the runtime records or answers: a secret's value, in any of the
 * forms it travels in (as is, JSON-escaped, URL-encoded), becomes `[secret]`. Masking by value
 * catches a secret wherever a flow put it: a header, a query string, a body, an error message.
 */
import { phpUrlencode } from '../../nodes/core/php.ts';

export const REDACTED = '[secret]';

/** Secrets shorter than this are not masked: "1" would blank every digit in a record. */
const MIN_LENGTH = 4;

export class Redactor {
  private readonly forms = new Set<string>();

  constructor(secrets: Iterable<string> = []) {
    for (const secret of secrets) this.add(secret);
  }

  add(secret: string): void {
    if (typeof secret !== 'string' || secret.length < MIN_LENGTH) return;
    this.forms.add(secret);
    this.forms.add(JSON.stringify(secret).slice(1, -1));
    this.forms.add(encodeURIComponent(secret));
    this.forms.add(phpUrlencode(secret));
    this.forms.add(JSON.stringify(encodeURIComponent(secret)).slice(1, -1));
  }

  get empty(): boolean {
    return this.forms.size === 0;
  }

  /** The text with every secret masked; longer forms first so a secret inside another is not half-masked. */
  text(value: string): string {
    if (this.forms.size === 0) return value;
    let out = value;
    for (const form of [...this.forms].sort((a, b) => b.length - a.length)) {
      if (out.includes(form)) out = out.split(form).join(REDACTED);
    }
    return out;
  }

  /** A JSON-safe copy of the value with every secret masked. */
  value<T>(value: T): T {
    if (value === undefined) return value;
    const json = JSON.stringify(value);
    if (json === undefined) return value;
    return JSON.parse(this.text(json)) as T;
  }
}
