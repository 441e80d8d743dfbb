/**
 * Lead intake and leads: `POST /api/leads`, `GET /api/leads`, `GET|PATCH /api/leads/:id`,
 * `POST /api/leads/:id/stage`, `POST /api/leads/:id/deliver`.
 */
import { Router, type Request } from 'express';
import { isStage } from '../../core/domain/lead.ts';
import { DomainError } from '../../core/domain/errors.ts';
import type { LeadQuery } from '../../core/api.ts';
import type { IntakeService } from '../services/intake.ts';
import type { LeadService } from '../services/leads.ts';
import { text, wholeOrNone } from './params.ts';

/** The lead the URL names (`/api/leads/:id`). */
const leadId = (req: Request) => wholeOrNone(req.params.id, 'id') as number;

export function leadRoutes(intake: IntakeService, leads: LeadService): Router {
  const router = Router();

  router.post('/api/leads', async (req, res) => {
    const result = await intake.accept(req.body);
    res.status(result.status).json(result.body);
  });

  router.get('/api/leads', async (req, res) => {
    const stage = req.query.stage;
    if (stage !== undefined && !isStage(stage)) throw new DomainError('invalid_field', 'is not a stage', { field: 'stage' });
    const query: LeadQuery = {
      stage,
      integration: text(req.query.integration),
      offer: text(req.query.offer),
      before: wholeOrNone(req.query.before, 'before'),
      limit: wholeOrNone(req.query.limit, 'limit'),
    };
    res.json({ leads: await leads.list(query) });
  });

  router.get('/api/leads/:id', async (req, res) => {
    res.json(await leads.page(leadId(req)));
  });

  /** An upsell or a correction: changes the lead's fields and queues `lead.update` when the integration has one. */
  router.patch('/api/leads/:id', async (req, res) => {
    res.json(await leads.amend(leadId(req), req.body));
  });

  /** A stage set by hand: `{ stage, status?, reason?, comment?, payout? }`, under the stage rule. */
  router.post('/api/leads/:id/stage', async (req, res) => {
    res.json(await leads.setStageByHand(leadId(req), req.body));
  });

  /** Queues a lead still `new` for delivery again (after its job failed for good). */
  router.post('/api/leads/:id/deliver', async (req, res) => {
    res.status(202).json(await leads.redeliver(leadId(req)));
  });

  return router;
}
