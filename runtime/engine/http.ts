/**
 * The HTTP client nodes talk to targets through: undici with keep-alive pools per origin, a deadline
 * per request, three distinct outcomes (an answer, a network error, a timeout), and every exchange
 * recorded for the execution log.
 */
import { Agent, request, type Dispatcher } from 'undici';
import type { HttpClient, HttpExchange, HttpRequestSpec } from '../../core/node/contract.ts';
import type { HttpRecord } from '../store/types.ts';

/** Answers bigger than this are cut off: a target that streams forever must not eat the memory. */
const MAX_BODY_BYTES = 5 * 1024 * 1024;

/** One shared agent: undici keeps a keep-alive pool per origin inside it. */
export function createAgent(): Agent {
  return new Agent({ keepAliveTimeout: 10_000, connections: 128, pipelining: 1 });
}

function flatHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

async function readBody(body: Dispatcher.ResponseData['body']): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) {
      body.destroy();
      throw new Error(`the answer is larger than ${MAX_BODY_BYTES} bytes`);
    }
    chunks.push(chunk as Buffer);
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
 * request ends as a timeout too.
 */
export function createHttpClient(
  agent: Dispatcher,
  record: (exchange: HttpRecord) => void,
  signal?: AbortSignal,
  /** Waits for the integration's rate limit before each request. */
  gate?: () => Promise<void>,
): HttpClient {
  return {
    async send(spec: HttpRequestSpec): Promise<HttpExchange> {
      if (gate) await gate();
      const started = performance.now();
      const deadline = AbortSignal.timeout(spec.timeoutMs);
      const abort = signal ? AbortSignal.any([deadline, signal]) : deadline;
      const requestRecord: HttpRecord['request'] = { method: spec.method, url: spec.url, headers: spec.headers, body: spec.body };
      let exchange: HttpExchange;
      try {
        const answer = await request(spec.url, {
          method: spec.method as Dispatcher.HttpMethod,
          headers: spec.headers,
          body: spec.body,
          dispatcher: agent,
          signal: abort,
        });
        const text = await readBody(answer.body);
        exchange = {
          outcome: 'answer',
          status: answer.statusCode,
          headers: flatHeaders(answer.headers),
          text,
          durationMs: performance.now() - started,
        };
      } catch (error) {
        const timedOut = abort.aborted || (error as { code?: string }).code === 'UND_ERR_CONNECT_TIMEOUT';
        exchange = {
          outcome: timedOut ? 'timeout' : 'network_error',
          error: timedOut ? `no answer within ${spec.timeoutMs} ms` : describeError(error),
          durationMs: performance.now() - started,
        };
      }
      record({
        request: requestRecord,
        response:
          exchange.outcome === 'answer'
            ? { status: exchange.status as number, headers: exchange.headers ?? {}, body: exchange.text ?? '' }
            : undefined,
        outcome: exchange.outcome,
        error: exchange.error,
        durationMs: Math.round(exchange.durationMs * 100) / 100,
      });
      return exchange;
    },
  };
}
