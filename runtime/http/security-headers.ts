/**
 * The headers every answer carries, and CORS. helmet is not installed (no new dependencies this
 * round): this sets what helmet's defaults set, with a Content-Security-Policy the editor works
 * under, and should give way to helmet once it can be installed.
 *
 * CORS is closed unless origins are configured (`LEADFLOW_CORS_ORIGINS`): without a listed
 * `Origin` an answer carries no `Access-Control-*` header at all, and a preflight is answered
 * only for a listed origin.
 */
import type { RequestHandler } from 'express';

/**
 * The editor's policy: its scripts and styles come from the runtime itself. `style-src` allows
 * inline styles because React Flow positions nodes with `style` attributes and CodeMirror adds
 * `<style>` elements; scripts get no such allowance. The favicon is a `data:` image.
 * `upgrade-insecure-requests` (in helmet's defaults) is left out: the runtime is served over
 * plain HTTP on localhost and behind TLS-terminating proxies alike.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  // 'unsafe-eval' only because the kernel's flow validator (core/flow/validate.ts) compiles its
  // schema with Ajv, which generates code with `new Function`, at load time in the editor too;
  // inline and foreign scripts stay refused. Precompiling that validator (Ajv standalone) lets it go.
  "script-src 'self' 'unsafe-eval'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "script-src-attr 'none'",
].join('; ');

const HEADERS: Record<string, string> = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Origin-Agent-Cluster': '?1',
  'Referrer-Policy': 'no-referrer',
  'X-Content-Type-Options': 'nosniff',
  'X-DNS-Prefetch-Control': 'off',
  'X-Download-Options': 'noopen',
  'X-Frame-Options': 'DENY',
  'X-Permitted-Cross-Domain-Policies': 'none',
  // the old XSS auditors did more harm than good; helmet switches them off the same way
  'X-XSS-Protection': '0',
};

/** Sets the security headers on every answer; HSTS only over TLS (`req.secure` honours `trust proxy`). */
export function securityHeaders(): RequestHandler {
  return (req, res, next) => {
    res.removeHeader('X-Powered-By');
    res.set(HEADERS);
    if (req.secure) res.set('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
    next();
  };
}

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
