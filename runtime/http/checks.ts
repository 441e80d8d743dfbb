/** Status checks of an integration: their schedules and last reports, and "check now". */
import { Router } from 'express';
import { DomainError } from '../../core/domain/errors.ts';
import { CHECK_EVENTS, isCheckEvent, type StatusChecks } from '../services/status-checks.ts';
import type { IntegrationService } from '../services/integrations.ts';

export function checkRoutes(checks: StatusChecks, integrations: IntegrationService): Router {
  const router = Router();

  router.get('/api/integrations/:id/checks', async (req, res) => {
    await integrations.get(req.params.id);
    res.json({ checks: checks.schedules(req.params.id) });
  });

  /** Runs the check now and answers its report when it is done; joins one already running. */
  router.post('/api/integrations/:id/checks/:event', async (req, res) => {
    const { id, event } = req.params;
    if (!isCheckEvent(event)) throw new DomainError('invalid_field', `must be one of ${CHECK_EVENTS.join(', ')}`, { field: 'event' });
    await integrations.get(id);
    res.json(await checks.check(id, event));
  });

  return router;
}
