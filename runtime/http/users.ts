/**
 * Accounts, for admins (the auth middleware refuses everyone else): `GET /api/users`,
 * `POST /api/users { name, password, role }`, `PATCH /api/users/:id { role?, password?, disabled? }`.
 * Disabling a user or resetting their password ends their sessions.
 */
import { Router } from 'express';
import type { SessionUser } from '../../core/domain/user.ts';
import type { UserService } from '../services/users.ts';
import { actorOf } from './params.ts';

export function userRoutes(users: UserService): Router {
  const router = Router();
  router.get('/api/users', async (_req, res) => {
    res.json({ users: await users.list() });
  });
  router.post('/api/users', async (req, res) => {
    res.status(201).json(await users.create(req.body, actorOf(res)));
  });
  router.patch('/api/users/:id', async (req, res) => {
    res.json(await users.update(req.params.id, req.body, res.locals.user as SessionUser));
  });
  return router;
}
