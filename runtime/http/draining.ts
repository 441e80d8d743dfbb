/**
 * Graceful close of the HTTP server: every request already received is answered, nothing is cut
 * mid-answer. Node's own `server.close()` stops accepting connections and closes the idle ones,
 * but a kept-alive connection busy at that moment stays open after its answer and goes on taking
 * requests (Node 20), so the server never closes while a client keeps it busy. Here:
 * - the answers in flight go out with `Connection: close`, so their connection ends after them;
 * - a request arriving on a kept-alive connection after the close began is refused with a 503
 *   (`shutting_down`, `Retry-After: 1`, `Connection: close`): nothing of it is stored, and the
 *   caller knows to post again;
 * - connections going idle are closed as they do, and so are those that never sent a request
 *   (a client's or a proxy's connection opened ahead of use), which Node does not count as idle;
 * - a request that writes counts as in flight until its handler ends the answer (`res.end()`, or
 *   destroys it), not until its connection closes: a caller who hung up on a synchronous registration does not
 *   stop the flow, whose lead, stage and execution are still written, so the store is closed after
 *   them. (A server-sent event stream ends its answer when its client goes: event-stream.ts.)
 */
import type { Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Express, RequestHandler } from 'express';

/** How often idle connections are swept while the server drains. */
const IDLE_SWEEP_MS = 50;

export class HttpDrain {
  private closing = false;
  private readonly inFlight = new Set<ServerResponse>();
  /** Resolves the close's wait once nothing is in flight. */
  private whenIdle: (() => void) | undefined;
  /** Connections that have not sent a request yet. */
  private readonly unused = new Set<Socket>();

  /** Follows the server's connections; called once it listens. */
  watch(server: Server): void {
    server.on('connection', (socket: Socket) => {
      this.unused.add(socket);
      socket.once('close', () => this.unused.delete(socket));
    });
    server.on('request', (req) => this.unused.delete(req.socket));
  }

  /**
   * The middleware to mount first of all: tracks the answers in flight, refuses requests once the
   * close began. An answer's end is seen through `end` and `destroy` hooked once on the app's
   * response prototype (`app.response`, which Express gives every answer it handles), not wrapped
   * on each answer: per request that was two bound functions, two closures and two own properties
   * grown onto the answer, and allocation the GC paid for on every lead.
   */
  middlewareFor(app: Express): RequestHandler {
    const settle = (res: ServerResponse) => this.settle(res);
    const response = app.response as unknown as ServerResponse;
    const end = response.end;
    const destroy = response.destroy;
    response.end = function (this: ServerResponse, ...args: Parameters<ServerResponse['end']>) {
      settle(this);
      return end.apply(this, args);
    } as ServerResponse['end'];
    response.destroy = function (this: ServerResponse, error?: Error) {
      settle(this);
      return destroy.call(this, error);
    };
    // one listener for every read: the answer it is called on is `this`
    const settleClosed = function (this: ServerResponse) {
      settle(this);
    };
    return (req, res, next) => {
      if (this.closing) {
        res.setHeader('Connection', 'close');
        res.setHeader('Retry-After', '1');
        res
          .status(503)
          .json({ error: 'shutting_down', message: 'the runtime is shutting down; nothing was stored, send the request again' });
        return;
      }
      this.inFlight.add(res);
      // a read whose caller went away stores nothing whatever its handler still does
      if (req.method === 'GET' || req.method === 'HEAD') res.on('close', settleClosed);
      next();
    };
  }

  private settle(res: ServerResponse): void {
    if (this.inFlight.delete(res) && this.inFlight.size === 0) this.whenIdle?.();
  }

  /** Resolves once every request received has been answered by its handler. */
  private idle(): Promise<void> {
    if (this.inFlight.size === 0) return Promise.resolve();
    return new Promise((resolve) => (this.whenIdle = resolve));
  }

  /** Whether the close began. */
  get draining(): boolean {
    return this.closing;
  }

  /** Requests received and not answered yet. */
  get pending(): number {
    return this.inFlight.size;
  }

  /**
   * Stops accepting connections and resolves once every request received is answered and every
   * connection closed — or after `graceMs`, when the connections left are cut (a synchronous flow
   * still waiting on its target, a client that never reads its answer). Resolves with how many
   * requests were still unanswered then.
   */
  async close(server: Server, graceMs: number): Promise<number> {
    this.closing = true;
    for (const res of this.inFlight) if (!res.headersSent) res.setHeader('Connection', 'close');
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    const closeIdle = () => {
      server.closeIdleConnections();
      for (const socket of this.unused) socket.destroy();
    };
    closeIdle();
    const sweep = setInterval(closeIdle, IDLE_SWEEP_MS);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), graceMs)));
    try {
      // the connections closed (a caller who hung up closes his) and every handler ended its answer
      if ((await Promise.race([Promise.all([closed, this.idle()]), late])) !== 'late') return 0;
      const unanswered = this.inFlight.size;
      server.closeAllConnections();
      await closed;
      return unanswered;
    } finally {
      clearInterval(sweep);
      clearTimeout(timer);
    }
  }
}
