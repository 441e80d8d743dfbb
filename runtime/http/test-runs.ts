/**
 * A test run: `POST /api/flows/:id/test` (see `TestRunRequest` in core/api.ts) — the saved flow
 * (or the unsaved document given) against what its event gets: a sample or stored lead, a sample
 * status batch (or the integration's real leads, read only), a sample postback call. Nothing
 * changes; the execution is recorded as a test, and the answer says what each Update Lead would
 * have done. Dry by default (`send: "dry"`): the run stops before the first request to the target
 * and answers it in `stopped`; `pins` give nodes' outputs without running them; `node` runs one
 * node alone on `input`.
 */
import { Router } from 'express';
import { DomainError } from '../../core/domain/errors.ts';
import type { TestRunAnswer, TestRunRequest } from '../../core/api.ts';
import type { FlowService } from '../services/flows.ts';
import type { LeadService } from '../services/leads.ts';
import type { FlowRunner } from '../services/runs.ts';
import type { TestRunHow } from '../services/test-run.ts';
import { actorOf, positive } from './params.ts';

/** How the test runs, read from the request; each field refused by name when malformed. */
function testRunHow(body: { [K in keyof TestRunRequest]?: unknown }): TestRunHow {
  if (body.send !== undefined && body.send !== 'dry' && body.send !== 'real')
    throw new DomainError('invalid_field', 'must be "dry" (stop before sending, the default) or "real"', { field: 'send' });
  if (body.pins !== undefined && (body.pins === null || typeof body.pins !== 'object' || Array.isArray(body.pins)))
    throw new DomainError('invalid_field', 'must be an object of node id → pinned output', { field: 'pins' });
  if (body.node !== undefined && (typeof body.node !== 'string' || body.node === ''))
    throw new DomainError('invalid_field', 'must be the id of the node to run', { field: 'node' });
  return {
    send: body.send,
    pins: body.pins as Record<string, unknown> | undefined,
    node: body.node as string | undefined,
    input: body.input,
  };
}

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
    const result = await runner.testRun(flow, body.integration, { lead, trigger }, testRunHow(body), actorOf(res));
    const answer: TestRunAnswer = {
      execution: result.execution,
      response: result.response,
      error: result.error,
      trigger: result.trigger,
      updates: result.updates,
      postbacks: result.postbacks,
      ...(result.stopped ? { stopped: result.stopped } : {}),
    };
    res.json(answer);
  });

  return router;
}
