/**
 * The runtime's HTTP server: node:http serving the Express app, with every request and answer made
 * from Express's own prototypes (`app.request`, `app.response`) when node:http creates them.
 *
 * Express gives each request its methods (`req.get`, `res.json`, …) by re-pointing the prototypes
 * of node:http's objects at the start of every request (`Object.setPrototypeOf` in `app.handle`).
 * V8 then moves both objects to new hidden classes, and every function that reads them afterwards —
 * node:http's own header and write paths, the body parser, the route — runs slower. Measured with
 * `bench/parts/express-cost.ts` (CPU per request): a route to a hand-written handler 125 µs as
 * Express comes, 51 µs on this server (node:http alone: 29 µs); with `express.json`, `res.json`
 * and the security headers, 175 µs and 88 µs. Express still sets the prototype, to the one the
 * object has already: V8 does nothing then.
 *
 * node:http's `IncomingMessage` and `ServerResponse` are constructor functions (called here on the
 * object being built, as their own subclasses do in Node); `createServer` takes the two to build
 * its requests and answers with.
 */
import { createServer, IncomingMessage, ServerResponse, type Server } from 'node:http';
import type { Express } from 'express';

type Constructor = (this: unknown, ...args: unknown[]) => void;

export function appServer(app: Express): Server {
  function AppRequest(this: unknown, ...args: unknown[]): void {
    (IncomingMessage as unknown as Constructor).apply(this, args);
  }
  AppRequest.prototype = app.request;
  function AppResponse(this: unknown, ...args: unknown[]): void {
    (ServerResponse as unknown as Constructor).apply(this, args);
  }
  AppResponse.prototype = app.response;
  return createServer(
    {
      IncomingMessage: AppRequest as unknown as typeof IncomingMessage,
      ServerResponse: AppResponse as unknown as typeof ServerResponse,
    },
    app,
  );
}
