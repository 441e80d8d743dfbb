/**
 * Webmasters (their postback URLs): `/api/webmasters` (`POST` creates, like every resource),
 * `/api/webmasters/:id` (`PUT` creates or replaces), kept by the offer service;
 * `POST /api/webmasters/:id/test-postback` sends a postback for a sample lead and answers what the
 * tracker said (see services/test-postback.ts).
 */
import { Router } from 'express';
import type { OfferService } from '../services/offers.ts';
import type { TestPostbacks } from '../services/test-postback.ts';
import { actorOf } from './params.ts';

export function webmasterRoutes(offers: OfferService, tests: TestPostbacks): Router {
  const router = Router();

  router.get('/api/webmasters', async (_req, res) => {
    res.json({ webmasters: await offers.listWebmasters() });
  });
  router.post('/api/webmasters', async (req, res) => {
    res.status(201).json(await offers.createWebmaster(req.body, actorOf(res)));
  });
  router.get('/api/webmasters/:id', async (req, res) => {
    res.json(await offers.getWebmaster(req.params.id));
  });
  router.put('/api/webmasters/:id', async (req, res) => {
    res.json(await offers.putWebmaster(req.body, req.params.id, actorOf(res)));
  });
  router.post('/api/webmasters/:id/test-postback', async (req, res) => {
    res.json(await tests.send(req.params.id, req.body, actorOf(res)));
  });
  router.delete('/api/webmasters/:id', async (req, res) => {
    await offers.removeWebmaster(req.params.id, actorOf(res));
    res.status(204).end();
  });

  return router;
}
