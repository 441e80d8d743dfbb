/**
 * The integration log and acting on it: `GET /api/executions`, `GET /api/executions/:id`,
 * `POST /api/executions/:id/rerun`, `POST /api/executions/:id/retry`.
 */
import { Router } from 'express';
import type { ExecutionQuery } from '../../core/api.ts';
import type { ExecutionLog } from '../services/executions.ts';
import type { FlowRunner } from '../services/runs.ts';
import { actorOf, oneText, positive, text, timeOrNone } from './params.ts';
import type { ExecutionState } from '../../core/domain/execution.ts';

const OUTCOMES: readonly ExecutionState[] = ['success', 'error', 'waiting', 'stopped'];

function outcomeOf(value: unknown): ExecutionState | undefined {
  const outcome = oneText(value, 'outcome');
  if (outcome !== undefined && !(OUTCOMES as readonly string[]).includes(outcome)) {
    throw new DomainError('invalid_field', `is not an outcome (${OUTCOMES.join(', ')})`, { field: 'outcome' });
  }
  return outcome as ExecutionState | undefined;
}

function flag(value: unknown, field: string): boolean {
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw new DomainError('invalid_field', 'must be true or false', { field });
}
import { DomainError } from '../../core/domain/errors.ts';

export function executionRoutes(log: ExecutionLog, runner: FlowRunner): Router {
  const router = Router();

  router.get('/api/executions', async (req, res) => {
    const q = req.query;
    const query: ExecutionQuery = {
      lead: q.lead === undefined ? undefined : positive(q.lead, 'lead'),
      flow: text(q.flow),
      integration: text(q.integration),
      event: oneText(q.event, 'event'),
      outcome: outcomeOf(q.outcome),
      errors: q.errors === undefined ? undefined : flag(q.errors, 'errors'),
      from: timeOrNone(q.from, 'from'),
      to: timeOrNone(q.to, 'to'),
      before: q.before === undefined ? undefined : positive(q.before, 'before'),
      limit: q.limit === undefined ? undefined : positive(q.limit, 'limit'),
    };
    res.json({ executions: await log.list(query) });
  });

  router.get('/api/executions/:id', async (req, res) => {
    res.json(await log.get(positive(req.params.id, 'id')));
  });

  /**
   * Runs an execution's event again on the flow's current version; `{"confirm": true}` when it is
   * a `lead.new` of a lead past `new` (409 naming `confirm` otherwise).
   */
  router.post('/api/executions/:id/rerun', async (req, res) => {
    const id = positive(req.params.id, 'id');
    const confirm = (req.body as { confirm?: unknown } | undefined)?.confirm;
    if (confirm !== undefined && typeof confirm !== 'boolean')
      throw new DomainError('invalid_field', 'must be true or false', { field: 'confirm' });
    res.json(await runner.rerun(id, { confirm, actor: actorOf(res) }));
  });

  /** Retries a failed execution from its failed node, on its version, with the recorded input. */
  router.post('/api/executions/:id/retry', async (req, res) => {
    const result = await runner.retryFromFailure(positive(req.params.id, 'id'), actorOf(res));
    res.json({ execution: result.execution, error: result.error });
  });

  return router;
}
