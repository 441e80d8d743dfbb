/** Lead intake and lead reading: `POST /api/leads`, `GET /api/leads`, `GET /api/leads/:id`. */
import { Router } from 'express';
import type { LeadStore } from '../store/types.ts';
import { isStage } from '../../core/domain/lead.ts';
import { DomainError } from '../../core/domain/errors.ts';
import type { IntakeService } from '../services/intake.ts';
import type { LeadService } from '../services/leads.ts';

function int(value: unknown, field: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new DomainError('invalid_field', 'must be a whole number', { field });
  return n;
}

export function leadRoutes(intake: IntakeService, leads: LeadService, store: LeadStore, wake: () => void): Router {
  const router = Router();

  router.post('/api/leads', async (req, res) => {
    const result = await intake.accept(req.body);
    res.status(result.status).json(result.body);
  });

  router.get('/api/leads', async (req, res) => {
    const stage = req.query.stage;
    if (stage !== undefined && !isStage(stage)) throw new DomainError('invalid_field', 'is not a stage', { field: 'stage' });
    const list = await store.listLeads({
      stage,
      integrationId: typeof req.query.integration === 'string' ? req.query.integration : undefined,
      offer: typeof req.query.offer === 'string' ? req.query.offer : undefined,
      before: int(req.query.before, 'before'),
      limit: int(req.query.limit, 'limit'),
    });
    res.json({ leads: list });
  });

  router.get('/api/leads/:id', async (req, res) => {
    const id = int(req.params.id, 'id') as number;
    const view = await leads.view(id);
    const executions = await store.listExecutions({ leadId: id, limit: 50 });
    res.json({ ...view, executions });
  });

  /** An upsell or a correction: changes the lead's fields and queues `lead.update` when the integration has one. */
  router.patch('/api/leads/:id', async (req, res) => {
    const result = await leads.amend(int(req.params.id, 'id') as number, req.body);
    res.json(result);
  });

  /** A stage set by hand: `{ stage, status?, reason?, comment?, payout? }`, under the stage rule. */
  router.post('/api/leads/:id/stage', async (req, res) => {
    res.json(await leads.setStageByHand(int(req.params.id, 'id') as number, req.body));
  });

  /** Queues a lead still `new` for delivery again (after its job failed for good). */
  router.post('/api/leads/:id/deliver', async (req, res) => {
    const lead = await leads.get(int(req.params.id, 'id') as number);
    if (lead.stage !== 'new') throw new DomainError('conflict', `the lead is ${lead.stage}, not new`, { field: 'stage' });
    await store.enqueue([{ kind: 'lead.new', leadId: lead.id, integrationId: lead.integration }]);
    wake();
    res.status(202).json({ id: lead.id, queued: true });
  });

  return router;
}
