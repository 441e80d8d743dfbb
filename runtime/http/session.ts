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
import { FailureLimiter } from './auth-rate-limit.ts';

export interface LoginLimits {
  /** Failed logins of one account before it must wait (default 5 in 15 minutes). */
  perAccount: number;
  /** Failed logins from one address before it must wait (default 20 in 15 minutes). */
  perAddress: number;
  windowMs: number;
}

export const DEFAULT_LOGIN_LIMITS: LoginLimits = { perAccount: 5, perAddress: 20, windowMs: 15 * 60 * 1000 };

export function sessionRoutes(users: UserService, sessions: SessionService, limits: LoginLimits = DEFAULT_LOGIN_LIMITS): Router {
  const router = Router();
  const accounts = new FailureLimiter(limits.perAccount, limits.windowMs);
  const addresses = new FailureLimiter(limits.perAddress, limits.windowMs);

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
    const wait = Math.max(accounts.retryAfter(account), addresses.retryAfter(address));
    if (wait > 0) {
      res.set('Retry-After', String(Math.ceil(wait / 1000)));
      res.status(429).json({ error: 'too_many_attempts', message: 'too many failed logins; try again later' });
      return;
    }
    const user = await users.verify(body.name, body.password);
    if (!user) {
      accounts.fail(account);
      addresses.fail(address);
      res.status(401).json({ error: 'unauthorized', message: 'wrong name or password, or the account is disabled' });
      return;
    }
    accounts.clear(account);
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
