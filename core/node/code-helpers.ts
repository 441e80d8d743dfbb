/**
 * The catalogue of what a Code node's script finds on `helpers`: each helper's signature and one
 * line of what it does, for the editor's completion and the docs. The sandbox implements them
 * (runtime/engine/code-sandbox-helpers.ts, typed against {@link CodeHelperName}, so a helper
 * cannot exist there without an entry here); test/code/helper-catalogue.test.ts asks a real
 * sandbox for its `helpers` and compares the two sets.
 */

/** One helper as a script calls it. */
export interface CodeHelperDoc {
  /** How it is called, with defaults: `md5(text, encoding = "hex")`. */
  signature: string;
  /** What it gives, in one line. */
  doc: string;
}

/** Every helper a script gets, by name. `log` is installed beside the others (it also backs `console`). */
export const CODE_HELPERS = {
  md5: { signature: 'md5(text, encoding = "hex")', doc: 'The MD5 of the text, hex or base64' },
  sha1: { signature: 'sha1(text, encoding = "hex")', doc: 'The SHA-1 of the text, hex or base64' },
  sha256: { signature: 'sha256(text, encoding = "hex")', doc: 'The SHA-256 of the text, hex or base64' },
  sha512: { signature: 'sha512(text, encoding = "hex")', doc: 'The SHA-512 of the text, hex or base64' },
  hmac: {
    signature: 'hmac(algorithm, key, text, encoding = "hex")',
    doc: 'HMAC with md5, sha1, sha256 or sha512; key may be helpers.key(name)',
  },
  key: {
    signature: 'key(name)',
    doc: "A stand-in for the signing key of that name (the node's Signing keys); only the hash helpers read it",
  },
  base64Encode: { signature: 'base64Encode(text)', doc: 'The UTF-8 bytes of the text in base64' },
  base64Decode: { signature: 'base64Decode(base64)', doc: 'The text the base64 holds (UTF-8)' },
  urlencode: { signature: 'urlencode(text)', doc: "PHP's urlencode (space → +)" },
  rawurlencode: { signature: 'rawurlencode(text)', doc: "PHP's rawurlencode (space → %20)" },
  urldecode: { signature: 'urldecode(text)', doc: "PHP's urldecode (+ → space)" },
  httpBuildQuery: {
    signature: 'httpBuildQuery(object, { sort: true })',
    doc: "PHP's http_build_query; sort: keys in order first, as ksort does",
  },
  date: {
    signature: 'date(format = "Y-m-d H:i:s", when = now, timeZone = "UTC")',
    doc: "PHP's date(); when is a date text or epoch seconds/ms",
  },
  strtotime: { signature: 'strtotime(text)', doc: 'Epoch seconds of a date text ("2024-05-06 07:08:09" is read as UTC), or null' },
  isoDate: { signature: 'isoDate(when = now)', doc: 'The date as ISO 8601 in UTC ("2024-05-06T07:08:09.000Z"), or null' },
  time: { signature: 'time()', doc: 'Now, in epoch seconds' },
  port: {
    signature: 'port(name, output)',
    doc: 'Return this to leave by the port named ("out" or "error") with that output',
  },
  retry: {
    signature: 'retry(reason)',
    doc: 'Return this to stop the flow with a retryable failure (the lead is delivered again later)',
  },
  log: { signature: 'log(...values)', doc: "Writes a line to the run's log (console.log does the same)" },
} as const satisfies Record<string, CodeHelperDoc>;

/** The name of a helper. */
export type CodeHelperName = keyof typeof CODE_HELPERS;
