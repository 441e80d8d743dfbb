/**
 * Server-sent events for the routes that report as things happen (the dashboard, long work):
 * `text/event-stream`, no caching or transforming proxies, a comment heartbeat so a proxy or the
 * browser does not drop a quiet connection, and the caller's clean-up when the client goes.
 */
import type { Request, Response } from 'express';

/** How often a quiet stream sends a heartbeat comment. */
export const HEARTBEAT_MS = 15_000;

export interface EventStream {
  /** Sends one event; `data` is sent as JSON. */
  send(event: string, data: unknown): void;
  /** Ends the stream from our side. */
  end(): void;
}

/** Opens the stream on `res`; `onClose` runs once, when either side ends it. */
export function openEventStream(req: Request, res: Response, onClose: () => void, heartbeatMs = HEARTBEAT_MS): EventStream {
  res.status(200).set({
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-cache, no-transform',
    Connection: 'keep-alive',
    // nginx and the like buffer a response unless told not to
    'X-Accel-Buffering': 'no',
  });
  res.flushHeaders();
  res.write(': open\n\n');
  const flush = () => (res as Response & { flush?: () => void }).flush?.();
  const heartbeat = setInterval(() => {
    res.write(': heartbeat\n\n');
    flush();
  }, heartbeatMs);
  heartbeat.unref();
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    clearInterval(heartbeat);
    onClose();
    // the answer is over whichever side ended it (a runtime closing waits for answers to end)
    res.end();
  };
  req.on('close', close);
  res.on('close', close);
  return {
    send(event, data) {
      if (closed) return;
      res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      flush();
    },
    end() {
      close();
    },
  };
}
