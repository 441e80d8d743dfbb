/**
 * How much body each route reads: intake and postbacks come from the internet and are small, so
 * they get a small limit; flow saves carry whole flow documents and get a large one; the rest of
 * the management API stays at what it had. A body over its route's limit is answered 413 naming
 * the limit, before it is read (a `Content-Length` over the limit is refused outright). A lead
 * posted with a body that is neither JSON nor form-encoded is answered 415 naming its type.
 */
import express, { type ErrorRequestHandler, type Request, type RequestHandler } from 'express';

/** The limits in bytes; see {@link limitFor}. */
export const BODY_LIMITS = {
  /** `POST /api/leads` and `/postback/*`. */
  intake: 64 * 1024,
  /** `/api/flows` and below. */
  flows: 2 * 1024 * 1024,
  /** Every other route. */
  other: 1024 * 1024,
} as const;

/** A request's path as Express matches routes: case-insensitively, a trailing slash ignored. */
const routePath = (requestPath: string) => requestPath.toLowerCase().replace(/\/+$/, '');

/** The limit of the route a request is for. */
export function limitFor(requestPath: string): number {
  const path = routePath(requestPath);
  if (path === '/api/leads' || path.startsWith('/postback/')) return BODY_LIMITS.intake;
  if (path === '/api/flows' || path.startsWith('/api/flows/')) return BODY_LIMITS.flows;
  return BODY_LIMITS.other;
}

const RAW_BODY = Symbol('raw body');

/** The media types lead intake reads. */
const INTAKE_TYPES = ['application/json', 'application/x-www-form-urlencoded'];

/** A lead posted to intake (`req.is` answers null for a request without a body: left to the route). */
function isIntake(req: Request): boolean {
  return req.method === 'POST' && routePath(req.path) === '/api/leads';
}

/** A postback (`/postback/*`). */
function isPostback(req: Request): boolean {
  return routePath(req.path).startsWith('/postback/');
}

/**
 * A postback's body bytes as received (empty when there was none or it was not JSON or a form).
 * Only postbacks keep them: another route's request would carry a copy nobody reads.
 */
export function rawBodyOf(req: Request): Buffer {
  return (req as unknown as Record<symbol, Buffer | undefined>)[RAW_BODY] ?? Buffer.alloc(0);
}

/** JSON and form bodies, each route under its limit; a postback's bytes are kept for its signature check. */
export function bodyParsers(): RequestHandler {
  // a postback's signature is over the body as sent; no other route reads the bytes, and storing
  // them on every request (a property grown onto it) cost more than the routes that never read them
  const keep = (req: unknown, _res: unknown, buffer: Buffer) => {
    (req as Record<symbol, Buffer>)[RAW_BODY] = buffer;
  };
  const parsers = new Map<number, RequestHandler[]>();
  for (const limit of new Set(Object.values(BODY_LIMITS))) {
    parsers.set(limit, [express.json({ limit }), express.urlencoded({ extended: true, limit })]);
  }
  const limit = BODY_LIMITS.intake;
  const postbackParsers = [express.json({ limit, verify: keep }), express.urlencoded({ extended: true, limit, verify: keep })];
  return (req, res, next) => {
    // intake reads JSON or form fields; any other body would be dropped unread and the lead
    // refused for missing fields, which hides the real mistake: say what was sent
    if (isIntake(req) && req.is(INTAKE_TYPES) === false) {
      const type = req.get('content-type');
      res.status(415).json({
        error: 'unsupported_media_type',
        field: '(body)',
        message: `${type ? `the content type "${type}"` : 'a body without a content type'} is not accepted here; send application/json or application/x-www-form-urlencoded`,
      });
      return;
    }
    const [json, form] = isPostback(req) ? postbackParsers : (parsers.get(limitFor(req.path)) as RequestHandler[]);
    json(req, res, (error?: unknown) => (error ? next(error) : form(req, res, next)));
  };
}

const readable = (bytes: number) => (bytes >= 1024 * 1024 ? `${bytes / (1024 * 1024)} MB` : `${bytes / 1024} KB`);

/** A body over the limit: 413 naming the limit (placed before the general error handler). */
export const bodyTooLarge: ErrorRequestHandler = (error, req, res, next) => {
  if ((error as { type?: string }).type !== 'entity.too.large') {
    next(error);
    return;
  }
  const limit = limitFor(req.path);
  res
    .status(413)
    .json({ error: 'too_large', field: '(body)', message: `the body is larger than this route's limit of ${readable(limit)}` });
};
