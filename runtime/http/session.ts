/**
 * Logging in and out: `POST /api/session { name, password }` sets the session cookie (HttpOnly,
 * SameSite=Lax, Secure when the request came over TLS), `GET /api/session` answers who is logged
 * in (401 when nobody), `DELETE /api/session` ends the session. Failed logins are limited per
 * account and per address (429 with Retry-After).
 */
import { Router, type Request, type Response } from 'express';
import type { SessionAnswer } from '../../core/api.ts';
import type { SessionUser } from '../../core/domain/user.ts';
import type { SessionService } from '../services/sessions.ts';
import type { UserService } from '../services/users.ts';
import { SESSION_COOKIE, sessionCookieOf } from './auth.ts';
import { DEFAULT_LOGIN_LIMITS, LoginLimiter, type LoginLimits } from './auth-rate-limit.ts';

export function sessionRoutes(users: UserService, sessions: SessionService, limits: LoginLimits = DEFAULT_LOGIN_LIMITS): Router {
  const router = Router();
  const limiter = new LoginLimiter(limits);

  const cookie = (req: Request, res: Response, id: string, expires: Date) =>
    res.cookie(SESSION_COOKIE, id, { httpOnly: true, sameSite: 'lax', secure: req.secure, path: '/', expires });

  router.get('/api/session', (req, res) => {
    const user = res.locals.user as SessionUser | undefined;
    if (!user) {
      res.status(401).json({ error: 'unauthorized', message: 'not logged in' });
      return;
    }
    res.json({ user, expiresAt: res.locals.sessionExpiresAt as string } satisfies SessionAnswer);
  });

  router.post('/api/session', async (req, res) => {
    const body = (req.body ?? {}) as { name?: unknown; password?: unknown };
    const account = typeof body.name === 'string' ? body.name.toLowerCase().slice(0, 100) : '';
    const address = req.ip ?? 'unknown';
    const wait = await limiter.retryAfter(account, address);
    if (wait > 0) {
      res.set('Retry-After', String(Math.ceil(wait / 1000)));
      res.status(429).json({ error: 'too_many_attempts', message: 'too many failed logins; try again later' });
      return;
    }
    const user = await users.verify(body.name, body.password);
    if (!user) {
      await limiter.failed(account, address);
      res.status(401).json({ error: 'unauthorized', message: 'wrong name or password, or the account is disabled' });
      return;
    }
    await limiter.succeeded(account);
    await sessions.end(sessionCookieOf(req));
    const started = await sessions.start(user);
    cookie(req, res, started.id, new Date(started.expiresAt));
    res.json({ user, expiresAt: started.expiresAt } satisfies SessionAnswer);
  });

  router.delete('/api/session', async (req, res) => {
    await sessions.end(sessionCookieOf(req));
    res.clearCookie(SESSION_COOKIE, { httpOnly: true, sameSite: 'lax', secure: req.secure, path: '/' });
    res.status(204).end();
  });

  return router;
}
