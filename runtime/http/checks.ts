/**
 * Status checks of an integration: their schedules and last reports (`GET …/checks`), "check now"
 * answered when done (`POST …/checks/:event`), or started as long work: `POST …/checks/:event/runs`
 * answers 202 with the work's report, followed (progress, cancel, summary) through `/api/work/:id`
 * like every long work (http/work.ts).
 */
import { Router, type Request } from 'express';
import { DomainError } from '../../core/domain/errors.ts';
import { CHECK_EVENTS, isCheckEvent, type CheckEvent, type StatusChecks } from '../services/status-checks.ts';
import type { IntegrationService } from '../services/integrations.ts';

export function checkRoutes(checks: StatusChecks, integrations: IntegrationService): Router {
  const router = Router();

  const eventOf = (req: Request): CheckEvent => {
    const event = String(req.params.event);
    if (!isCheckEvent(event)) throw new DomainError('invalid_field', `must be one of ${CHECK_EVENTS.join(', ')}`, { field: 'event' });
    return event;
  };

  router.get('/api/integrations/:id/checks', async (req, res) => {
    await integrations.get(req.params.id);
    res.json({ checks: checks.schedules(req.params.id) });
  });

  /** Runs the check now and answers its report when it is done; joins one already running. */
  router.post('/api/integrations/:id/checks/:event', async (req, res) => {
    const event = eventOf(req);
    await integrations.get(req.params.id);
    res.json(await checks.check(req.params.id, event));
  });

  router.post('/api/integrations/:id/checks/:event/runs', async (req, res) => {
    const event = eventOf(req);
    const integration = await integrations.get(req.params.id);
    if (!integration.flows[event]) throw new DomainError('not_found', `the integration has no ${event} flow`, { field: 'event' });
    res.status(202).json(checks.start(integration.id, event));
  });

  return router;
}
