import { defineNode, type NodeResult } from '../core/node/contract.ts';
import { param } from '../core/node/params.ts';
import { CODE_LIMITS, type CodeError } from '../core/node/code-sandbox.ts';
import { isObject } from '../core/node/values.ts';

const SAMPLE = `// input: what the node before gave. Also: lead, offer (offer.params), integration.settings, helpers.
// Return JSON for the next node. return helpers.port('error', { reason: '…' }) takes the error exit;
// return helpers.retry('why') stops the flow so the lead is delivered again later.
return { ...input };
`;

/**
 * Code: JavaScript for what no other node does — an odd signature, an odd answer, fields to juggle.
 * The script is the body of an async function run in the code sandbox (QuickJS; a fresh interpreter per run: no
 * state survives between leads) with:
 * - `input` (the node before's output), `lead`, `offer` (with `params` for the lead's country),
 *   `integration` (`{ settings }` only — never secrets);
 * - `helpers`: `md5`, `sha1`, `sha256`, `sha512` (text, "hex" | "base64"), `hmac(algorithm, key, text,
 *   encoding)`, `base64Encode`, `base64Decode`, `urlencode`, `rawurlencode`, `urldecode`,
 *   `httpBuildQuery(object, { sort })` (PHP's), `date(format, when, timeZone)` (PHP's), `strtotime`,
 *   `isoDate`, `time`, `log(...)` (also `console.log`), `key(name)`, `port(name, output)`, `retry(reason)`.
 *   No network, files, timers or `require`: put HTTP Request nodes around the Code node.
 *
 * Its input reaches it with every secret masked as `[secret]` (a body JSON Build wrote with
 * `{{secrets.api_key}}`, a header Auth Token set): place Code before the nodes that add credentials.
 *
 * Signing keys: the `keys` rows name secrets (`sign` → `{{secrets.api_secret}}`). The script never
 * sees them: `helpers.key('sign')` is a placeholder that only the hash helpers replace with the
 * key, so `helpers.hmac('sha256', helpers.key('sign'), body)` or `helpers.md5(body + helpers.key('sign'))`
 * sign with it.
 *
 * Ports (fixed: `out` and `error`):
 * - whatever the script returns → `out`, as the output (`undefined` becomes `null`);
 * - `return helpers.port('error', value)` — or any object with a `$port` field: `{ $port: 'error',
 *   reason: 'duplicate' }` — → that port with `value` (or the object without `$port`). The `error`
 *   port carries failure `code_error` (not retryable), so with nothing connected to it the node's
 *   `onError` setting decides;
 * - `return helpers.retry('target busy')` → no port: a retryable failure `code_retry`, so a lead
 *   stays `new` and the delivery queue tries again.
 *
 * Failures (no port; `onError` decides): `code_syntax`, `code_exception` (message, line, column),
 * `code_limit` (`memory`, `time`, `stack` or `output`, with the param that sets it), `code_result`
 * (the result is not JSON, or the script never finishes), `code_sandbox`.
 */
export const code = defineNode({
  type: 'code',
  version: 1,
  title: 'Code',
  category: 'code',
  description:
    'Runs your JavaScript on the input, lead and offer in the code sandbox, with hashing, encoding and date helpers; its result is the output, and it may choose the out or error exit.',
  inputs: ['in'],
  outputs: ['out', 'error'],
  // for the signing keys only: the script never sees a secret (see `keys`)
  usesSecrets: true,
  // a body built with a secret before it (JSON Build, Auth Token's header) reaches it masked
  secretsMasked: true,
  params: {
    script: param.code({
      label: 'JavaScript',
      help: "The body of an async function of input, lead, offer, integration and helpers; return JSON. helpers.port('error', value) takes the error exit, helpers.retry(reason) delivers the lead again later. helpers.log(…) writes to the run's log.",
      required: true,
      default: SAMPLE,
    }),
    keys: param.keyValue({
      label: 'Signing keys',
      help: "Secrets the script may sign with but never read, e.g. sign → {{secrets.api_secret}}; in the script, helpers.hmac('sha256', helpers.key('sign'), text).",
    }),
    timeoutMs: param.number({
      label: 'Time limit (ms)',
      help: `How long the script may run, waiting on its promises included. Default ${CODE_LIMITS.timeoutMs} ms.`,
      default: CODE_LIMITS.timeoutMs,
      min: 10,
      max: 30_000,
    }),
    memoryMb: param.number({
      label: 'Memory limit (MB)',
      help: `The script's heap. Default ${CODE_LIMITS.memoryMb} MB.`,
      default: CODE_LIMITS.memoryMb,
      min: 1,
      max: 256,
    }),
    stackKb: param.number({
      label: 'Stack limit (KB)',
      help: `How deep calls may nest (recursion). Default ${CODE_LIMITS.stackKb} KB.`,
      default: CODE_LIMITS.stackKb,
      min: 32,
      max: 1024,
    }),
    outputKb: param.number({
      label: 'Output limit (KB)',
      help: `The largest result, as JSON. Default ${CODE_LIMITS.outputKb} KB.`,
      default: CODE_LIMITS.outputKb,
      min: 1,
      max: 16_384,
    }),
  },
  async execute({ params, input, lead, offer, integration, code: codeSandbox, log }) {
    if (!codeSandbox) throw new Error('Code: this host has no code sandbox');
    const keys: Record<string, string> = {};
    for (const row of params.keys ?? []) {
      if (row.key.trim() !== '') keys[row.key.trim()] = row.value === undefined || row.value === null ? '' : String(row.value);
    }
    const outcome = await codeSandbox.run(
      params.script ?? '',
      { input, lead, offer, settings: integration.settings },
      {
        timeoutMs: Number(params.timeoutMs) || CODE_LIMITS.timeoutMs,
        memoryMb: Number(params.memoryMb) || CODE_LIMITS.memoryMb,
        stackKb: Number(params.stackKb) || CODE_LIMITS.stackKb,
        outputKb: Number(params.outputKb) || CODE_LIMITS.outputKb,
      },
      keys,
    );
    for (const line of outcome.logs) log(line);
    if (!outcome.ok) return failed(outcome.error);
    return chosen(outcome.value);
  },
});

function failed(error: CodeError): NodeResult {
  return { output: { error }, failure: { code: `code_${error.kind}`, message: error.message, retryable: false } };
}

/** Reads the script's result: a plain output, a port choice or a retry. */
function chosen(value: unknown): NodeResult {
  if (!isObject(value)) return { port: 'out', output: value };
  if (typeof value.$retry === 'string') {
    return { output: { retry: value.$retry }, failure: { code: 'code_retry', message: value.$retry, retryable: true } };
  }
  if (!Object.hasOwn(value, '$port')) return { port: 'out', output: value };
  const { $port: port, $output, ...rest } = value;
  const output = Object.hasOwn(value, '$output') ? $output : rest;
  if (port === 'out') return { port: 'out', output };
  if (port === 'error') return { port: 'error', output, failure: { code: 'code_error', message: reasonOf(output), retryable: false } };
  return failed({ kind: 'result', message: `the script chose the port "${String(port)}"; Code has only out and error` });
}

function reasonOf(output: unknown): string {
  if (typeof output === 'string' && output !== '') return output;
  if (isObject(output)) {
    for (const field of ['reason', 'message', 'error'])
      if (typeof output[field] === 'string' && output[field] !== '') return output[field] as string;
  }
  return 'the script chose the error exit';
}
