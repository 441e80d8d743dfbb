/**
 * A hostile target for the fault tests: a real HTTP server on 127.0.0.1 (port 0) that answers each
 * request with the next fault of a script — hanging (before or mid-answer), failing, redirecting, resetting, cutting its
 * answer short, sending broken JSON, an error dressed as a 200, or 50 MB — and records every
 * request it got, with when it came and how its answer ended. Every fault test uses this one module.
 *
 * @example
 * const target = await startFaultTarget();
 * target.script([fault.status(500), fault.retryAfter(2)]); // then the default: accepted
 * // … post a lead …
 * expect(target.requests.map((r) => r.answer)).toEqual(['sent', 'sent', 'sent']);
 * await target.close();
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Received } from './harness.ts';

/** What the target does with one request. Build them with {@link fault}. */
export type Fault =
  /** An answer as given: status, headers, body (an object is sent as JSON). */
  | { kind: 'answer'; status: number; headers?: Record<string, string>; body?: string | object }
  /** Reads the request and never answers; the connection stays open until the client gives up. */
  | { kind: 'hang' }
  /** Sends the status line, the headers and the start of `body`, then nothing more, the connection open. */
  | { kind: 'stall'; body: string }
  /** Drops the connection without an answer: a TCP reset (RST), not a clean close. */
  | { kind: 'reset' }
  /**
   * Sends the status line, the headers and the first half of `body`, then drops the connection.
   * `framing` says how the headers announce the body: its full `Content-Length`, or chunked.
   */
  | { kind: 'half-body'; body: string; framing: 'content-length' | 'chunked' }
  /** A 200 of `bytes` bytes of JSON-looking filler, written as fast as the client reads it. */
  | { kind: 'huge-body'; bytes: number; framing: 'content-length' | 'chunked' };

/** A fault, or a function choosing one from the request (per path, say). */
export type FaultStep = Fault | ((request: Received) => Fault);

/** The answers a script is built from. */
export const fault = {
  /** A plain answer; `body` an object is sent as JSON. */
  answer: (status: number, body?: string | object, headers?: Record<string, string>): Fault => ({ kind: 'answer', status, body, headers }),
  /** A bare status with a short JSON error body (500, 503, 408…). */
  status: (status: number, body: string | object = { status: 'error', message: `HTTP ${status}` }): Fault => ({
    kind: 'answer',
    status,
    body,
  }),
  /** 429 (or `status`) with `Retry-After`: delay-seconds when given a number, an HTTP date when given a Date. */
  retryAfter: (after: number | Date, status = 429): Fault => ({
    kind: 'answer',
    status,
    headers: { 'retry-after': typeof after === 'number' ? String(after) : after.toUTCString() },
    body: { status: 'error', message: 'slow down' },
  }),
  /** A 3xx to `location` (relative to the request, or absolute). */
  redirect: (status: 301 | 302 | 303 | 307 | 308, location: string): Fault => ({ kind: 'answer', status, headers: { location } }),
  /** A 307 back to the very URL asked for: followed, it never ends. */
  redirectLoop: (): FaultStep => (request) => ({ kind: 'answer', status: 307, headers: { location: request.url } }),
  hang: (): Fault => ({ kind: 'hang' }),
  /** Starts an accepting answer and stops half-way, neither finishing nor closing it. */
  stall: (body = '{"status":"ok","id":"E-STALL"}'): Fault => ({ kind: 'stall', body }),
  reset: (): Fault => ({ kind: 'reset' }),
  /** Half of an accepting JSON answer, then the connection drops. */
  halfBody: (
    framing: 'content-length' | 'chunked' = 'content-length',
    body = '{"status":"ok","id":"E-HALF","note":"cut here"}',
  ): Fault => ({
    kind: 'half-body',
    body,
    framing,
  }),
  /** A 200 that says `application/json` and is not: an object cut off mid-way. */
  malformedJson: (text = '{"status":"ok","id":"E-BROKEN",'): Fault => ({
    kind: 'answer',
    status: 200,
    headers: { 'content-type': 'application/json' },
    body: text,
  }),
  /** HTTP 200 whose body says the request failed, as many networks answer every error. */
  errorBody: (message = 'invalid key'): Fault => ({ kind: 'answer', status: 200, body: { status: 'error', message } }),
  /** A 200 of 50 MB (or `bytes`). */
  hugeBody: (bytes = 50 * 1024 * 1024, framing: 'content-length' | 'chunked' = 'content-length'): Fault => ({
    kind: 'huge-body',
    bytes,
    framing,
  }),
};

/** A request the target got, and how its answer went. */
export interface FaultRequest extends Received {
  /** The fault it was answered with. */
  fault: Fault['kind'];
  /**
   * How the answer ended: `sent` whole; `cut` by the target on purpose (reset, half body);
   * `abandoned` when the client closed the connection first (gave up on a hang, stopped reading).
   * `pending` while it lasts.
   */
  answer: 'pending' | 'sent' | 'cut' | 'abandoned';
  /** Bytes of body the target wrote before the answer ended. */
  bodyBytesSent: number;
  /** When the answer ended (ms since 1970). */
  endedAt?: number;
}

export interface FaultTarget {
  url: string;
  port: number;
  /** Every request so far, in arrival order. */
  requests: FaultRequest[];
  /**
   * The faults the next requests get, one each, in order; once they are used up, every request
   * gets the default (see {@link startFaultTarget}). Replaces any script not used up yet.
   */
  script(steps: FaultStep[]): void;
  /** Waits until the target has got `count` requests (or fails after `timeoutMs`). */
  received(count: number, timeoutMs?: number): Promise<FaultRequest[]>;
  /** Stops listening and drops every open connection (hanging ones too). */
  close(): Promise<void>;
}

/** The default answer: the lead accepted, with an id made from its order field when it has one. */
export const accepted: FaultStep = (request) => {
  let order: unknown;
  try {
    order = (JSON.parse(request.body) as { order?: unknown }).order;
  } catch {
    order = undefined;
  }
  return { kind: 'answer', status: 200, body: { status: 'ok', id: `E-${order ?? request.path}` } };
};

/**
 * Starts a fault target on 127.0.0.1, port 0. `otherwise` answers every request the script does
 * not cover (by default {@link accepted}).
 */
export async function startFaultTarget(otherwise: FaultStep = accepted): Promise<FaultTarget> {
  const requests: FaultRequest[] = [];
  let queue: FaultStep[] = [];
  const sockets = new Set<Socket>();

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const seen: Received = {
        method: req.method ?? '',
        url: req.url ?? '',
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        at: Date.now(),
      };
      const step = queue.shift() ?? otherwise;
      const chosen = typeof step === 'function' ? step(seen) : step;
      const record: FaultRequest = { ...seen, fault: chosen.kind, answer: 'pending', bodyBytesSent: 0 };
      requests.push(record);
      const end = (how: FaultRequest['answer']) => {
        if (record.answer !== 'pending') return;
        record.answer = how;
        record.endedAt = Date.now();
      };
      res.on('finish', () => end('sent'));
      res.on('close', () => end('abandoned'));
      play(chosen, req, res, record, end);
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    script(steps) {
      queue = [...steps];
    },
    async received(count, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (requests.length < count) {
        if (Date.now() > deadline) throw new Error(`the target got ${requests.length} of ${count} requests within ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return requests;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function play(
  chosen: Fault,
  req: IncomingMessage,
  res: ServerResponse,
  record: FaultRequest,
  end: (how: FaultRequest['answer']) => void,
): void {
  switch (chosen.kind) {
    case 'hang':
      return;
    case 'stall': {
      const whole = Buffer.from(chosen.body);
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': whole.length });
      record.bodyBytesSent = Math.floor(whole.length / 2);
      res.write(whole.subarray(0, record.bodyBytesSent));
      return;
    }
    case 'reset':
      end('cut');
      req.socket.resetAndDestroy();
      return;
    case 'answer': {
      const json = typeof chosen.body === 'object';
      const text = typeof chosen.body === 'object' ? JSON.stringify(chosen.body) : (chosen.body ?? '');
      res.writeHead(chosen.status, { ...(json ? { 'content-type': 'application/json' } : {}), ...chosen.headers });
      record.bodyBytesSent = Buffer.byteLength(text);
      res.end(text);
      return;
    }
    case 'half-body': {
      const whole = Buffer.from(chosen.body);
      const half = whole.subarray(0, Math.floor(whole.length / 2));
      const framing: Record<string, string | number> =
        chosen.framing === 'content-length' ? { 'content-length': whole.length } : { 'transfer-encoding': 'chunked' };
      res.writeHead(200, { 'content-type': 'application/json', ...framing });
      record.bodyBytesSent = half.length;
      // flushed before the drop, so the client has the headers and half the body in hand
      res.write(half, () => {
        end('cut');
        req.socket.destroy();
      });
      return;
    }
    case 'huge-body': {
      const framing: Record<string, string | number> =
        chosen.framing === 'content-length' ? { 'content-length': chosen.bytes } : { 'transfer-encoding': 'chunked' };
      res.writeHead(200, { 'content-type': 'application/json', ...framing });
      const filler = Buffer.alloc(64 * 1024, 'x');
      const first = Buffer.from(filler);
      first.write('{"status":"ok","id":"E-HUGE","padding":"');
      const pump = () => {
        while (!res.destroyed && record.bodyBytesSent < chosen.bytes) {
          const chunk = record.bodyBytesSent === 0 ? first : filler;
          const size = Math.min(chunk.length, chosen.bytes - record.bodyBytesSent);
          record.bodyBytesSent += size;
          if (!res.write(size === chunk.length ? chunk : chunk.subarray(0, size))) return void res.once('drain', pump);
        }
        if (!res.destroyed) res.end();
      };
      pump();
      return;
    }
  }
}
