/**
 * The operations dashboard: `GET /api/dashboard?integration=&range=24h|7d|30d` (a
 * {@link DashboardSummary}) and `GET /api/dashboard/stream` with the same query: server-sent
 * events, a `summary` event at once and again about a second after leads change.
 */
import { Router } from 'express';
import type { DashboardSummary } from '../../core/domain/dashboard.ts';
import type { DashboardService } from '../services/dashboard.ts';
import { openEventStream } from './event-stream.ts';

export function dashboardRoutes(dashboard: DashboardService): Router {
  const router = Router();

  router.get('/api/dashboard', async (req, res) => {
    const summary: DashboardSummary = await dashboard.summary(await dashboard.query(req.query));
    res.json(summary);
  });

  router.get('/api/dashboard/stream', async (req, res) => {
    const query = await dashboard.query(req.query);
    let sending = Promise.resolve();
    // one summary at a time, in order: a slow one is not overtaken by the next
    const send = () => {
      sending = sending.then(async () => stream.send('summary', await dashboard.summary(query))).catch(() => stream.end());
    };
    const stop = dashboard.watch(send);
    const stream = openEventStream(req, res, stop);
    send();
  });

  return router;
}
