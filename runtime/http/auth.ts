/**
 * Who may call what. Mounted before every route:
 * - the session: the `leadflow_session` cookie's id resolved to the user, left in `res.locals.user`
 *   (a `SessionUser`; undefined for machine routes and anonymous calls);
 * - the CSRF defence on every state-changing `/api` call: a request a browser marks cross-site
 *   (`Sec-Fetch-Site: cross-site|same-site`, or an `Origin` whose host is not ours) is refused 403,
 *   and a body that is not JSON is refused 415 (an HTML form can send only form-encoded, multipart
 *   or text bodies, and a cross-site `fetch` with a JSON body needs a CORS preflight nobody grants);
 * - every management route (`/api/*` except {@link isPublicRoute}) needs a session (401) and a role
 *   that may do it (403): viewers read only, integrators everything but users, admins everything;
 * - a viewer's answers lose postback tokens, keys and URLs' `token=` values.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { SessionUser } from '../../core/domain/user.ts';
import type { SessionService } from '../services/sessions.ts';

export const SESSION_COOKIE = 'leadflow_session';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The `/api` routes that answer without a session: the lead intake (behind intake keys), the
 * login routes themselves, and the health check (answers `{ ok: true }`, nothing else).
 */
export function isPublicRoute(method: string, path: string): boolean {
  if (path === '/api/session') return true;
  if (path === '/api/leads' && method === 'POST') return true;
  if (path === '/api/health' && (method === 'GET' || method === 'HEAD')) return true;
  return false;
}

/** The management routes only admins reach: the accounts, and the audit log. */
function adminOnly(path: string): boolean {
  return path === '/api/users' || path.startsWith('/api/users/') || path === '/api/audit' || path.startsWith('/api/audit/');
}

export function sessionCookieOf(req: Request): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === SESSION_COOKIE) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

function refuse(res: Response, status: number, error: string, message: string): void {
  res.status(status).json({ error, message });
}

/** Whether a browser says this request comes from another site. */
function crossSite(req: Request): boolean {
  const site = req.get('sec-fetch-site');
  if (site && site !== 'same-origin' && site !== 'none') return true;
  const origin = req.get('origin');
  if (origin === undefined) return false;
  try {
    // req.host is the Host header, or X-Forwarded-Host when `trust proxy` says the proxy is ours
    return new URL(origin).host !== req.host;
  } catch {
    // "null" (a sandboxed frame, a file) or garbage: not us
    return true;
  }
}

/** A body is there when it has a length or is chunked. */
function hasBody(req: Request): boolean {
  const length = req.get('content-length');
  return (length !== undefined && length !== '0') || req.get('transfer-encoding') !== undefined;
}

/** Routes the machines call: the CSRF check does not apply (no browser session is used there). */
function machineRoute(method: string, path: string): boolean {
  return path === '/api/leads' && method === 'POST';
}

export function authMiddleware(sessions: SessionService): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    try {
      // Express routes case-insensitively and without regard to a trailing slash: judge the path the
      // same way, or /API/flows would reach the flows route past this check
      const path = req.path.toLowerCase().replace(/\/+$/, '') || '/';
      const api = path.startsWith('/api/') || path === '/api';
      if (!api) {
        // outside the API only the plain home page asks who is logged in (static files, postbacks never do)
        const cookie = path === '/' ? sessionCookieOf(req) : undefined;
        const session = cookie === undefined ? undefined : await sessions.resolve(cookie);
        if (session) res.locals.user = session.user;
        return next();
      }
      const method = req.method.toUpperCase();
      const writes = !SAFE_METHODS.has(method);
      if (writes && !machineRoute(method, path)) {
        if (crossSite(req)) return refuse(res, 403, 'cross_site', 'cross-site requests to the management API are refused');
        if (hasBody(req) && !req.is('application/json'))
          return refuse(res, 415, 'unsupported_media_type', 'the management API takes JSON bodies only (content-type: application/json)');
      }
      const session = await sessions.resolve(sessionCookieOf(req));
      if (session) {
        res.locals.user = session.user;
        res.locals.sessionExpiresAt = session.expiresAt;
      }
      if (isPublicRoute(method, path)) return next();
      const user = res.locals.user as SessionUser | undefined;
      if (!user) return refuse(res, 401, 'unauthorized', 'log in first: POST /api/session { name, password }');
      if (adminOnly(path) && user.role !== 'admin') return refuse(res, 403, 'forbidden', 'only admins manage users');
      if (writes && user.role === 'viewer') return refuse(res, 403, 'forbidden', 'viewers may only read');
      if (user.role === 'viewer') hideSecretsFromViewer(res);
      next();
    } catch (error) {
      next(error);
    }
  };
}

/** For a page outside the API that shows management data: 401 without a session. */
export const requireUser: RequestHandler = (_req, res, next) => {
  if (res.locals.user) return next();
  res.status(401).type('text').send("log in first: the editor's login page, or POST /api/session { name, password }");
};

/** Field names whose values a viewer never sees. */
const HIDDEN_FIELDS = /^(postbackToken|token|tokens|apiKey|api_key|key|keys|intakeKey|secret|secretKey|password|hmacKey)$/i;
/** A token or key in a URL's query (`?token=…`, `&api_key=…`). */
const TOKEN_IN_URL = /([?&](?:token|api_key|apikey|key|secret|signature)=)[^&#\s"]*/gi;
export const HIDDEN = '(hidden)';

/** A copy of an answer with what viewers may not see replaced by `(hidden)`. */
export function forViewer(value: unknown): unknown {
  if (typeof value === 'string') return value.replace(TOKEN_IN_URL, `$1${HIDDEN}`);
  if (Array.isArray(value)) return value.map(forViewer);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value))
      out[k] = HIDDEN_FIELDS.test(k) && (typeof v === 'string' || typeof v === 'number') ? HIDDEN : forViewer(v);
    return out;
  }
  return value;
}

function hideSecretsFromViewer(res: Response): void {
  const json = res.json.bind(res);
  res.json = (body?: unknown) => json(forViewer(body));
}
