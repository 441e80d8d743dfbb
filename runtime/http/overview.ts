/** `GET /api/overview`: the home page's state of things (services/overview.ts). */
import { Router } from 'express';
import type { OverviewService } from '../services/overview.ts';

export function overviewRoutes(overview: OverviewService): Router {
  const router = Router();
  router.get('/api/overview', async (_req, res) => {
    res.json(await overview.read());
  });
  return router;
}
