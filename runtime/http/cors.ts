/**
 * CORS is closed unless origins are configured (`LEADFLOW_CORS_ORIGINS`): without a listed
 * `Origin` an answer carries no `Access-Control-*` header at all, and a preflight is answered
 * only for a listed origin.
 */
import type { RequestHandler } from 'express';

/** Headers a listed origin's browser may send (the API's own, and what the editor sends). */
const ALLOWED_HEADERS = 'Content-Type, X-Api-Key, X-CSRF-Token';
const ALLOWED_METHODS = 'GET, POST, PUT, PATCH, DELETE';

/**
 * CORS for the origins listed, and for nobody else. A listed origin may send credentials (the
 * session cookie); `Vary: Origin` keeps caches from handing one origin's answer to another.
 */
export function cors(origins: readonly string[]): RequestHandler {
  const listed = new Set(origins.map((o) => o.replace(/\/$/, '').toLowerCase()));
  return (req, res, next) => {
    const origin = req.get('Origin');
    const preflight = req.method === 'OPTIONS' && req.get('Access-Control-Request-Method') !== undefined;
    if (listed.size) res.vary('Origin');
    if (!origin || !listed.has(origin.toLowerCase())) {
      if (preflight) {
        // a preflight from an origin not listed gets no CORS headers, so the browser sends nothing
        res.status(403).json({ error: 'forbidden', field: 'Origin', message: 'this origin may not call the API from a browser' });
        return;
      }
      next();
      return;
    }
    res.set({ 'Access-Control-Allow-Origin': origin, 'Access-Control-Allow-Credentials': 'true' });
    if (!preflight) {
      next();
      return;
    }
    res.set({
      'Access-Control-Allow-Methods': ALLOWED_METHODS,
      'Access-Control-Allow-Headers': ALLOWED_HEADERS,
      'Access-Control-Max-Age': '600',
    });
    res.status(204).end();
  };
}
