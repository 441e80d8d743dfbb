/**
 * A test run: `POST /api/flows/:id/test` `{ integration, lead?, leadId?, flow?, trigger? }` — the
 * saved flow (or the unsaved document given) against a sample lead or a stored one. Nothing
 * changes; the execution is recorded as a test.
 */
import { Router } from 'express';
import { DomainError } from '../../core/domain/errors.ts';
import type { TestRunAnswer } from '../../core/api.ts';
import type { FlowService } from '../services/flows.ts';
import type { LeadService } from '../services/leads.ts';
import type { FlowRunner } from '../services/runs.ts';
import { positive } from './params.ts';

export function testRunRoutes(flows: FlowService, leads: LeadService, runner: FlowRunner): Router {
  const router = Router();

  router.post('/api/flows/:id/test', async (req, res) => {
    const body = (req.body ?? {}) as { integration?: unknown; lead?: unknown; leadId?: unknown; flow?: unknown; trigger?: unknown };
    const flow = body.flow !== undefined ? flows.check(body.flow) : await flows.load(req.params.id);
    if (typeof body.integration !== 'string') throw new DomainError('invalid_field', 'is required', { field: 'integration' });
    const lead =
      body.leadId !== undefined
        ? await leads.testLead(body.integration, { leadId: positive(body.leadId, 'leadId') })
        : await leads.testLead(body.integration, { sample: body.lead });
    const result = await runner.testRun(flow, body.integration, lead, body.trigger);
    const answer: TestRunAnswer = { execution: result.execution, response: result.response, error: result.error };
    res.json(answer);
  });

  return router;
}
