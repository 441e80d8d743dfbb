/**
 * A test run: `POST /api/flows/:id/test` (see `TestRunRequest` in core/api.ts) — the saved flow
 * (or the unsaved document given) against what its event gets: a sample or stored lead, a sample
 * status batch (or the integration's real leads, read only), a sample postback call. Nothing
 * changes; the execution is recorded as a test, and the answer says what each Update Lead would
 * have done.
 */
import { Router } from 'express';
import { DomainError } from '../../core/domain/errors.ts';
import type { TestRunAnswer, TestRunRequest } from '../../core/api.ts';
import type { FlowService } from '../services/flows.ts';
import type { LeadService } from '../services/leads.ts';
import type { FlowRunner } from '../services/runs.ts';
import { positive } from './params.ts';

export function testRunRoutes(flows: FlowService, leads: LeadService, runner: FlowRunner): Router {
  const router = Router();

  router.post('/api/flows/:id/test', async (req, res) => {
    const body = (req.body ?? {}) as { [K in keyof TestRunRequest]?: unknown };
    const flow = body.flow !== undefined ? flows.check(body.flow) : await flows.load(req.params.id);
    if (typeof body.integration !== 'string') throw new DomainError('invalid_field', 'is required', { field: 'integration' });
    const leadEvent = flow.event.startsWith('lead.');
    const lead = !leadEvent
      ? undefined
      : body.leadId !== undefined
        ? await leads.testLead(body.integration, { leadId: positive(body.leadId, 'leadId') })
        : await leads.testLead(body.integration, { sample: body.lead });
    const trigger =
      flow.event === 'postback.in'
        ? (body.call ?? body.trigger)
        : flow.event.startsWith('status.')
          ? (body.batch ?? body.trigger)
          : body.trigger;
    const result = await runner.testRun(flow, body.integration, { lead, trigger });
    const answer: TestRunAnswer = {
      execution: result.execution,
      response: result.response,
      error: result.error,
      trigger: result.trigger,
      updates: result.updates,
      postbacks: result.postbacks,
    };
    res.json(answer);
  });

  return router;
}
