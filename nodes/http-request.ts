import { httpBuildQuery } from '../core/template/php.ts';
import { stringify } from '../core/template/template.ts';
import { defineNode, type HttpExchange, type KeyValue, type NodeFailure, type NodeResult } from '../core/node/contract.ts';
import { param, type ParamValues } from '../core/node/params.ts';
import { fullUrl, isObject, objectOf, rowsToObject } from '../core/node/values.ts';
import { multipartBody } from '../core/node/multipart.ts';
import { looksLikeXml, parseXml } from '../core/node/xml.ts';
import { repeatOutcome } from '../core/node/repeat-until.ts';

const REPEATING = { repeatUntil: ['status', 'field'] };

/** Declared apart from the node so the helpers below can name the params' type. */
const httpRequestParams = {
  method: param.select(['GET', 'POST', 'PUT', 'PATCH', 'DELETE'], {
    label: 'Method',
    help: "The HTTP method the target's documentation names. GET sends no body.",
    default: 'POST',
  }),
  url: param.template({
    label: 'URL',
    help: 'The full address, e.g. {{integration.settings.base_url}}/api/orders. It may already hold ?a=b.',
    placeholder: 'https://crm.example.com/api/orders',
    required: true,
  }),
  query: param.keyValue({
    label: 'URL parameters',
    help: 'Added to the URL after "?", e.g. api_key → {{secrets.api_key}}.',
  }),
  headers: param.keyValue({
    label: 'Headers',
    help: 'Request headers, e.g. Authorization → Bearer {{secrets.token}}. They win over headers set by earlier nodes.',
  }),
  body: param.select(['input', 'json', 'form', 'multipart', 'text', 'none'], {
    label: 'Body',
    help: 'input: the body built by the node before (JSON Build, Form/Query Build, Sign). json, form (urlencoded), multipart (multipart/form-data) or text: write it here. none: no body.',
    default: 'input',
  }),
  json: param.json({
    label: 'JSON body',
    help: 'The JSON to send; {{lead.phone}} and the like are filled in.',
    showIf: { body: 'json' },
    default: { name: '{{lead.name}}', phone: '{{lead.phone}}' },
  }),
  form: param.keyValue({
    label: 'Form fields',
    help: 'Sent as an HTML form: application/x-www-form-urlencoded (form) or multipart/form-data (multipart).',
    showIf: { body: ['form', 'multipart'] },
  }),
  text: param.template({
    label: 'Text body',
    help: 'Sent exactly as written (XML, for instance). Set the content type below if the target needs one.',
    showIf: { body: 'text' },
  }),
  contentType: param.text({
    label: 'Content type',
    help: 'Only when the target insists on a particular one, e.g. application/xml. Empty: chosen from the body.',
  }),
  parse: param.select(['auto', 'json', 'xml', 'text'], {
    label: 'Read the answer as',
    help: 'auto: JSON when it is JSON, XML (as an object, attributes as @name) when its content type says XML or it starts with <?xml, otherwise text. json or xml: the answer must be that. text: always text.',
    default: 'auto',
  }),
  timeoutMs: param.number({
    label: 'Timeout (ms)',
    help: 'How long to wait for the answer before taking the timeout exit. 10000 = 10 seconds.',
    default: 10000,
    min: 1,
    max: 120000,
  }),
  serverErrors: param.select(['retry', 'http_error'], {
    label: 'Busy answers (408, 425, 429, 5xx)',
    help: 'retry: the target is in trouble or asks us to wait, so stop here and deliver the lead again later (after its Retry-After, if it names one). http_error: take the http_error exit like any other refusal.',
    default: 'retry',
  }),
  repeatUntil: param.select(['off', 'status', 'field'], {
    label: 'Repeat until ready',
    help: 'For a target that needs time (a registration whose login link comes a moment after its id, a "pending" answer). off: one call. status: call again until the answer has one of the ready statuses. field: until a field of the answer has the ready value. Waiting holds nothing: a queued delivery continues later at this node.',
    default: 'off',
  }),
  readyStatus: param.text({
    label: 'Ready statuses',
    help: 'The statuses that mean ready, e.g. 200 or 200, 201; any other answer (202 pending, 404 not yet) is asked again.',
    default: '200',
    showIf: { repeatUntil: 'status' },
  }),
  readyField: param.text({
    label: 'Ready field',
    help: 'A path into the answer, e.g. body.status or body.data.autologin_url.',
    placeholder: 'body.status',
    showIf: { repeatUntil: 'field' },
  }),
  readyValue: param.text({
    label: 'Ready value',
    help: 'The value the field must have, e.g. ready. Empty: the field is there and not empty.',
    showIf: { repeatUntil: 'field' },
  }),
  repeatEveryMs: param.number({
    label: 'Ask every (ms)',
    help: 'How long to wait between calls. 1000 = 1 second.',
    default: 1000,
    min: 100,
    max: 3600000,
    showIf: REPEATING,
  }),
  repeatForMs: param.number({
    label: 'Ask for at most (ms)',
    help: 'How long from the first call to keep asking. 30000 = 30 seconds. A synchronous registration waits at most 30 s whatever this says.',
    default: 30000,
    min: 100,
    max: 86400000,
    showIf: REPEATING,
  }),
  whenNotReady: param.select(['fail', 'retry', 'out'], {
    label: 'When still not ready',
    help: 'fail: the flow fails with not_ready (the delivery is not retried; resend it). retry: a temporary failure, the delivery is tried again later from this call. out: go on from the out exit with the last answer.',
    default: 'fail',
    showIf: REPEATING,
  }),
};

type HttpRequestParams = ParamValues<typeof httpRequestParams>;

/**
 * HTTP Request: sends one request to the target and reads its answer.
 *
 * The request: the URL with the Query rows and the input's `query` appended (PHP encoding); the
 * input's `headers` (what Sign or Auth Token put there) with the Headers rows over them; the body
 * from the input (what JSON Build or Form/Query Build made) or from this node's own JSON, form or
 * text. An answer is not a request: when the input is another HTTP Request's answer, its `headers`
 * are not sent (map one on purpose in the Headers rows), and connection and framing headers
 * (`connection`, `keep-alive`, `content-length`, `transfer-encoding`, `host`, …) are never taken
 * from the input — the HTTP client sets them for the request it sends.
 *
 * Ports and outputs:
 * - `out` (2xx) → `{ status, ok: true, headers, body, durationMs }`, `body` parsed per `parse`
 *   (XML into an object, see `core/node/xml.ts`); an answer that says it is JSON and is not (auto)
 *   keeps `body` as the text and adds `jsonError` (the parser's message), which a Condition can branch on;
 * - `http_error` (a 4xx) → the same shape, with failure `http_error`. A 2xx whose body is not the
 *   JSON or XML `parse` asks for fails as `bad_json` or `bad_xml`, retryable, and is treated as a
 *   transient answer: a garbled answer is the target's fault, not its refusal of the lead, and a
 *   flow that wired `http_error` to a refusal would otherwise cancel the lead on it. A transient answer — 408, 425, 429 or 5xx — takes no exit
 *   by default (`serverErrors: 'retry'`): the target is busy or in trouble, not refusing the lead,
 *   so the flow stops with a retryable failure and the delivery queue tries again later, no sooner
 *   than a 429's or 503's `Retry-After` (seconds or an HTTP date) asks;
 * - `redirect` (a 3xx the HTTP client did not follow: 301/302 on a POST, a 3xx without a usable
 *   `Location`, or one hop too many — see `runtime/engine/http.ts`) → the same shape, with a
 *   retryable failure `redirect`: the target never saw the lead, so it is no refusal. Unconnected,
 *   the flow stops and the delivery is tried again; connected, the flow decides;
 * - `network_error` (refused, reset, DNS, or an answer whose body the connection cut short) →
 *   `{ error, durationMs }`, retryable;
 * - `timeout` (no answer in time) → `{ error, durationMs }`, retryable.
 *
 * Repeat until ready (`repeatUntil`, core/node/repeat-until.ts): while the answer is not ready (its
 * status not one of `readyStatus`, or `readyField` not `readyValue`), the node answers `again` and the
 * host calls it again in `repeatEveryMs`, up to `repeatForMs` from the first call; then
 * `whenNotReady`: fail with `not_ready` (`fail`; `retry`: retryable) or go on from `out` (`out`).
 *
 * An answer larger than the HTTP client reads (5 MB) takes no exit: the flow stops with the
 * failure `response_too_large`, not retryable. The target did answer, so it has the lead, and it
 * would answer the same again: sending it again risks a second order and another 5 MB, for
 * nothing. The delivery fails visibly with that reason, to be resent once the address is fixed.
 */
export const httpRequest = defineNode({
  type: 'http-request',
  version: 1,
  title: 'HTTP Request',
  category: 'talk',
  description:
    "Sends the request to the target's API and reads the answer as JSON or text. Separate exits for errors, network failures and timeouts.",
  inputs: ['in'],
  outputs: ['out', 'http_error', 'network_error', 'timeout', 'redirect'],
  usesSecrets: true,
  params: httpRequestParams,
  async execute({ params, input, http, log, waitedMs, waitLimitMs }) {
    const before = isObject(input) ? input : {};
    const method = String(params.method || 'POST').toUpperCase();
    const url = buildUrl(stringify(params.url).trim(), { ...objectOf(before.query), ...rowsToObject(params.query) });
    const headers = mergeHeaders(isAnswer(before) ? {} : objectOf(before.headers), params.headers);
    const payload = method === 'GET' || method === 'HEAD' ? undefined : buildBody(params, before);
    if (payload !== undefined) {
      const given = params.contentType?.trim();
      if (given) setHeader(headers, 'Content-Type', given);
      else if (!hasHeader(headers, 'content-type') && payload.contentType) headers['Content-Type'] = payload.contentType;
    }
    const timeoutMs = Number(params.timeoutMs) > 0 ? Number(params.timeoutMs) : 10000;
    const exchange = await http.send({ method, url, headers, body: payload?.text, timeoutMs });
    const result = readExchange(exchange, params.parse, params.serverErrors, log);
    const plan = {
      until: params.repeatUntil ?? 'off',
      statuses: params.readyStatus,
      field: params.readyField,
      value: params.readyValue,
      everyMs: Number(params.repeatEveryMs) > 0 ? Number(params.repeatEveryMs) : 1000,
      forMs: Number(params.repeatForMs) > 0 ? Number(params.repeatForMs) : 30000,
      whenNotReady: params.whenNotReady ?? 'fail',
    };
    const outcome = repeatOutcome(plan, result, waitedMs ?? 0, waitLimitMs);
    if (outcome.again && log) log(`not ready yet (HTTP ${exchange.status ?? '-'}): asking again in ${outcome.again.afterMs} ms`);
    return outcome;
  },
});

function buildUrl(url: string, query: Record<string, unknown>): string {
  fullUrl(url, 'HTTP Request');
  const extra = httpBuildQuery(query);
  if (extra === '') return url;
  const hash = url.indexOf('#');
  const base = hash < 0 ? url : url.slice(0, hash);
  const fragment = hash < 0 ? '' : url.slice(hash);
  const joiner = !base.includes('?') ? '?' : base.endsWith('?') || base.endsWith('&') ? '' : '&';
  return base + joiner + extra + fragment;
}

function buildBody(params: HttpRequestParams, before: Record<string, unknown>): { text: string; contentType?: string } | undefined {
  switch (params.body) {
    case 'none':
      return undefined;
    case 'json':
      return { text: JSON.stringify(params.json ?? null), contentType: 'application/json' };
    case 'form':
      return { text: httpBuildQuery(rowsToObject(params.form)), contentType: 'application/x-www-form-urlencoded' };
    case 'multipart':
      return multipartBody(rowsToObject(params.form));
    case 'text':
      return { text: stringify(params.text), contentType: 'text/plain; charset=utf-8' };
    default: {
      const body = before.body;
      const contentType = typeof before.contentType === 'string' ? before.contentType : undefined;
      if (body === undefined || body === null) return undefined;
      if (typeof body === 'string') return { text: body, contentType };
      if (contentType?.includes('x-www-form-urlencoded')) return { text: httpBuildQuery(body), contentType };
      return { text: JSON.stringify(body), contentType: contentType ?? 'application/json' };
    }
  }
}

/**
 * What the HTTP client's error starts with for an answer over its size limit (the client names it:
 * `RESPONSE_TOO_LARGE` in runtime/engine/http.ts, which a node may not import).
 */
const RESPONSE_TOO_LARGE = 'response_too_large';

function readExchange(
  exchange: HttpExchange,
  parse: HttpRequestParams['parse'],
  serverErrors: HttpRequestParams['serverErrors'],
  log?: (message: string) => void,
): NodeResult {
  if (exchange.outcome !== 'answer' && exchange.error?.startsWith(`${RESPONSE_TOO_LARGE}:`)) {
    // no port, not retryable: the target answered (so it has the lead), and would answer the same again
    const message = exchange.error;
    return {
      output: { status: exchange.status, ok: false, headers: exchange.headers ?? {}, error: message, durationMs: exchange.durationMs },
      failure: { code: RESPONSE_TOO_LARGE, message, retryable: false },
    };
  }
  if (exchange.outcome !== 'answer') {
    const port = exchange.outcome;
    const message = exchange.error || (port === 'timeout' ? 'no answer in time' : 'network error');
    return {
      port,
      output: { error: message, durationMs: exchange.durationMs },
      failure: { code: port, message, retryable: true },
    };
  }
  const status = exchange.status ?? 0;
  const headers = exchange.headers ?? {};
  const text = exchange.text ?? '';
  const ok = status >= 200 && status < 300;
  const parsed = readBody(text, headers, ok ? parse : parse === 'text' ? 'text' : 'auto');
  const output = {
    status,
    ok,
    headers,
    body: parsed.body,
    ...(parsed.jsonError !== undefined ? { jsonError: parsed.jsonError } : {}),
    durationMs: exchange.durationMs,
  };
  if (parsed.jsonError !== undefined && log)
    log(`the answer (HTTP ${status}) looks like JSON but is not: ${parsed.jsonError}; kept as text`);
  if (status >= 300 && status < 400) {
    const location = headerOf(headers, 'location');
    const message = `HTTP ${status}${location ? ` to ${location}` : ' without a Location'} was not followed (307/308 are followed for any method, 301/302/303 for GET, up to 3 hops)`;
    return { port: 'redirect', output, failure: { code: 'redirect', message, retryable: true } };
  }
  if (!ok) {
    const retryable = TRANSIENT_STATUSES.has(status) || status >= 500;
    const retryAfterMs = status === 429 || status === 503 ? retryAfterOf(headerOf(headers, 'retry-after'), Date.now()) : undefined;
    const failure: NodeFailure = {
      code: 'http_error',
      message: `HTTP ${status}`,
      retryable,
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    };
    // no port: the failure stops the flow whatever is connected, and the delivery is retried
    if (retryable && serverErrors !== 'http_error') return { output, failure };
    return { port: 'http_error', output, failure };
  }
  if (parsed.bad) {
    const code = `bad_${parsed.bad}`;
    const message = `HTTP ${status}: the answer is not ${parsed.bad === 'json' ? 'JSON' : 'XML'}: ${text.slice(0, 200)}`;
    const failure: NodeFailure = { code, message, retryable: true };
    // like a 5xx: no exit unless the flow asked to handle server errors itself
    return serverErrors === 'http_error' ? { port: 'http_error', output, failure } : { output, failure };
  }
  return { port: 'out', output };
}

/** The 4xx answers that mean "not now" rather than "no": 408 Request Timeout, 425 Too Early, 429 Too Many Requests. */
const TRANSIENT_STATUSES = new Set([408, 425, 429]);

function headerOf(headers: Record<string, string>, name: string): string | undefined {
  return Object.entries(headers).find(([key]) => key.toLowerCase() === name)?.[1];
}

/**
 * How long a `Retry-After` value asks to wait, in ms from `now`: delay-seconds (`120`) or an HTTP
 * date. Undefined when it is missing, malformed or already past.
 */
export function retryAfterOf(value: string | undefined, now: number): number | undefined {
  const text = value?.trim();
  if (!text) return undefined;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isFinite(at) && at > now ? at - now : undefined;
}

/**
 * The body as `parse` asks. `jsonError` is set when the answer is not the JSON it should be: with
 * `json` any body that does not parse; with `auto` one that says it is JSON (its content type, or
 * a leading `{` or `[`) and does not parse, which is kept as text so that the flow, Extract and the
 * log still see it. A leading byte order mark is not an error. `bad` names what `parse` asked for
 * and did not get (`json` or `xml`): the node then takes its `http_error` exit.
 */
function readBody(
  text: string,
  headers: Record<string, string>,
  parse: HttpRequestParams['parse'],
): { body: unknown; jsonError?: string; bad?: 'json' | 'xml' } {
  if (parse === 'text') return { body: text };
  const json = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (parse === 'json') {
    if (json.trim() === '') return { body: null };
    try {
      return { body: JSON.parse(json) };
    } catch (error) {
      return { body: text, jsonError: (error as Error).message, bad: 'json' };
    }
  }
  if (parse === 'xml') {
    if (text.trim() === '') return { body: null };
    const xml = parseXml(text);
    return xml ? { body: xml } : { body: text, bad: 'xml' };
  }
  const contentType = Object.entries(headers).find(([name]) => name.toLowerCase() === 'content-type')?.[1] ?? '';
  if (looksLikeXml(contentType, text)) {
    // an XML answer that does not parse stays text, as JSON that does not parse does
    const xml = parseXml(text);
    if (xml) return { body: xml };
  }
  const trimmed = json.trim();
  if (contentType.includes('json') || trimmed.startsWith('{') || trimmed.startsWith('[')) {
    // an empty body said to be JSON is no body, not broken JSON
    if (trimmed === '') return { body: text };
    try {
      return { body: JSON.parse(json) };
    } catch (error) {
      // a target that says JSON and sends something else: keep the text for Extract and the log
      return { body: text, jsonError: (error as Error).message };
    }
  }
  return { body: text };
}

/** An HTTP Request's answer (`{ status, ok, headers, body }`), which is no request being built. */
function isAnswer(input: Record<string, unknown>): boolean {
  return typeof input.status === 'number' && typeof input.ok === 'boolean';
}

/** Headers about one connection or one message's framing: the HTTP client writes its own. */
const CONNECTION_HEADERS = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'content-length',
  'host',
]);

function mergeHeaders(base: Record<string, unknown>, rows: KeyValue[] | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(base)) {
    if (value === undefined || value === null || CONNECTION_HEADERS.has(name.toLowerCase())) continue;
    headers[name] = stringify(value);
  }
  for (const row of rows ?? []) {
    if (row.key.trim() === '' || row.value === undefined || row.value === null) continue;
    setHeader(headers, row.key.trim(), stringify(row.value));
  }
  return headers;
}

/** Sets a header, replacing one of the same name in any letter case. */
function setHeader(headers: Record<string, string>, name: string, value: string): void {
  for (const existing of Object.keys(headers)) if (existing.toLowerCase() === name.toLowerCase()) delete headers[existing];
  headers[name] = value;
}

function hasHeader(headers: Record<string, string>, name: string): boolean {
  return Object.keys(headers).some((existing) => existing.toLowerCase() === name);
}
