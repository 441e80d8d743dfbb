/** Offers (parameters, goals, products): `/api/offers`, `/api/offers/:id`. */
import { Router } from 'express';
import type { OfferService } from '../services/offers.ts';
import { actorOf } from './params.ts';

export function offerRoutes(offers: OfferService): Router {
  const router = Router();

  router.get('/api/offers', async (_req, res) => {
    res.json({ offers: await offers.list() });
  });
  router.post('/api/offers', async (req, res) => {
    res.status(201).json(await offers.create(req.body, actorOf(res)));
  });
  router.get('/api/offers/:id', async (req, res) => {
    res.json(await offers.get(req.params.id));
  });
  router.put('/api/offers/:id', async (req, res) => {
    res.json(await offers.put(req.body, req.params.id, actorOf(res)));
  });
  router.delete('/api/offers/:id', async (req, res) => {
    await offers.remove(req.params.id, actorOf(res));
    res.status(204).end();
  });

  return router;
}
