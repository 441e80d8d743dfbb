/**
 * Webmasters (their postback URLs): `/api/webmasters` (`POST` creates, like every resource),
 * `/api/webmasters/:id` (`PUT` creates or replaces). Kept by the offer service.
 */
import { Router } from 'express';
import type { OfferService } from '../services/offers.ts';

export function webmasterRoutes(offers: OfferService): Router {
  const router = Router();

  router.get('/api/webmasters', async (_req, res) => {
    res.json({ webmasters: await offers.listWebmasters() });
  });
  router.post('/api/webmasters', async (req, res) => {
    res.status(201).json(await offers.createWebmaster(req.body));
  });
  router.get('/api/webmasters/:id', async (req, res) => {
    res.json(await offers.getWebmaster(req.params.id));
  });
  router.put('/api/webmasters/:id', async (req, res) => {
    res.json(await offers.putWebmaster(req.body, req.params.id));
  });
  router.delete('/api/webmasters/:id', async (req, res) => {
    await offers.removeWebmaster(req.params.id);
    res.status(204).end();
  });

  return router;
}
