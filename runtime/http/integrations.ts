/**
 * Integrations (secrets write-only): `/api/integrations`, `/api/integrations/:id`,
 * `POST /api/integrations/:id/postback-token/rotate`, and `POST /api/integrations/:id/pause` /
 * `resume` (its deliveries wait, or go again), `GET /api/integrations/:id/breaker` (its circuit breaker),
 * `GET /api/integrations/:id/readiness` (what keeps it from being switched on), and
 * `GET /api/integrations/:id/removal` (what `DELETE` takes with it).
 */
import { Router } from 'express';
import type { IntegrationService } from '../services/integrations.ts';
import type { IntegrationRemovals } from '../services/integration-removal.ts';
import { actorOf } from './params.ts';

export function integrationRoutes(integrations: IntegrationService, removals: IntegrationRemovals): Router {
  const router = Router();

  router.get('/api/integrations', async (_req, res) => {
    res.json({ integrations: await integrations.list() });
  });
  router.post('/api/integrations', async (req, res) => {
    res.status(201).json(await integrations.create(req.body, actorOf(res)));
  });
  router.get('/api/integrations/:id', async (req, res) => {
    res.json(await integrations.show(req.params.id));
  });
  router.get('/api/integrations/:id/readiness', async (req, res) => {
    res.json(await integrations.readiness(await integrations.get(req.params.id)));
  });
  router.get('/api/integrations/:id/removal', async (req, res) => {
    res.json(await removals.plan(req.params.id));
  });
  router.get('/api/integrations/:id/breaker', async (req, res) => {
    res.json(await integrations.breaker(req.params.id));
  });
  router.patch('/api/integrations/:id', async (req, res) => {
    res.json(await integrations.update(req.params.id, req.body, actorOf(res)));
  });
  router.put('/api/integrations/:id', async (req, res) => {
    res.json(await integrations.update(req.params.id, req.body, actorOf(res)));
  });
  router.post('/api/integrations/:id/postback-token/rotate', async (req, res) => {
    res.json(await integrations.rotatePostbackToken(req.params.id, req.body, actorOf(res)));
  });
  // the same as PATCH {"paused": true|false}, under the same checks and audit
  router.post('/api/integrations/:id/pause', async (req, res) => {
    res.json(await integrations.update(req.params.id, { paused: true }, actorOf(res)));
  });
  router.post('/api/integrations/:id/resume', async (req, res) => {
    res.json(await integrations.update(req.params.id, { paused: false }, actorOf(res)));
  });
  router.delete('/api/integrations/:id', async (req, res) => {
    await removals.remove(req.params.id, actorOf(res));
    res.status(204).end();
  });

  return router;
}
