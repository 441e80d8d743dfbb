/**
 * The headers every answer carries, set by helmet with the editor's Content-Security-Policy and
 * the stricter choices below; HSTS is sent only over TLS.
 */
import type { RequestHandler } from 'express';
import helmet, { strictTransportSecurity } from 'helmet';

/**
 * The editor's policy: its scripts and styles come from the runtime itself. `style-src` allows
 * inline styles because React Flow positions nodes with `style` attributes and CodeMirror adds
 * `<style>` elements; scripts get no such allowance. The favicon is a `data:` image.
 * `upgrade-insecure-requests` (in helmet's defaults, hence `useDefaults: false`) is left out: the
 * runtime is served over plain HTTP on localhost and behind TLS-terminating proxies alike.
 */
const CONTENT_SECURITY_POLICY = {
  'default-src': ["'self'"],
  // the flow validator's schema check is compiled ahead of time (npm run schema), so no eval either
  'script-src': ["'self'"],
  'style-src': ["'self'", "'unsafe-inline'"],
  'img-src': ["'self'", 'data:'],
  'font-src': ["'self'", 'data:'],
  'connect-src': ["'self'"],
  'object-src': ["'none'"],
  'base-uri': ["'self'"],
  'form-action': ["'self'"],
  'frame-ancestors': ["'none'"],
  'script-src-attr': ["'none'"],
};

/** HSTS as helmet would send it (a year, subdomains included). */
const hsts = strictTransportSecurity({ maxAge: 365 * 24 * 60 * 60, includeSubDomains: true });

/**
 * Sets the security headers on every answer. helmet's defaults stand (CORP same-origin,
 * Origin-Agent-Cluster, nosniff, `X-XSS-Protection: 0`, no `X-Powered-By`, …) except where the
 * runtime is stricter: its own CSP, `X-Frame-Options: DENY`, `Referrer-Policy: no-referrer`
 * spelled out. HSTS is left to a wrapper that sends it only over TLS (`req.secure` honours
 * `trust proxy`): over plain HTTP the header means nothing to a browser, and sent from a
 * `localhost` runtime it would pin that host name to HTTPS for every other app served there.
 */
export function securityHeaders(): RequestHandler {
  const headers = helmet({
    contentSecurityPolicy: { useDefaults: false, directives: CONTENT_SECURITY_POLICY },
    crossOriginOpenerPolicy: { policy: 'same-origin' },
    referrerPolicy: { policy: 'no-referrer' },
    xFrameOptions: { action: 'deny' },
    strictTransportSecurity: false,
  });
  return (req, res, next) => {
    headers(req, res, (err?: unknown) => {
      if (err) {
        next(err);
        return;
      }
      if (req.secure) hsts(req, res, next);
      else next();
    });
  };
}
