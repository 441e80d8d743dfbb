/**
 * The management API the editor uses: node descriptors, flows and their versions, test runs,
 * integrations (secrets write-only), offers, webmasters, executions.
 */
import { Router, type Request } from 'express';
import type { LeadStore } from '../store/types.ts';
import type { Lead } from '../../core/domain/lead.ts';
import { DomainError } from '../../core/domain/errors.ts';
import type { NodeRegistry } from '../engine/registry.ts';
import type { FlowService } from '../services/flows.ts';
import type { IntegrationService } from '../services/integrations.ts';
import type { OfferService } from '../services/offers.ts';
import type { FlowRunner } from '../services/runs.ts';
import { parseLeadInput } from '../services/lead-input.ts';

export interface ManageDeps {
  registry: NodeRegistry;
  flows: FlowService;
  integrations: IntegrationService;
  offers: OfferService;
  runner: FlowRunner;
  store: LeadStore;
}

/** Who saved a version: the `X-Leadflow-User` header until there are accounts. */
function author(req: Request): string {
  const user = req.get('x-leadflow-user');
  return user && user.length <= 100 ? user : 'anonymous';
}

function positive(value: unknown, field: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new DomainError('invalid_field', 'must be a whole number from 1', { field });
  return n;
}

export function manageRoutes(deps: ManageDeps): Router {
  const { registry, flows, integrations, offers, runner, store } = deps;
  const router = Router();

  router.get('/api/nodes', (_req, res) => {
    res.json({ nodes: registry.descriptors() });
  });

  // flows
  router.get('/api/flows', async (_req, res) => {
    res.json({ flows: await flows.list() });
  });
  router.post('/api/flows/validate', (req, res) => {
    const result = flows.validate(req.body);
    res.json(result.ok ? { ok: true, issues: [] } : { ok: false, issues: result.issues });
  });
  router.post('/api/flows', async (req, res) => {
    res.status(201).json(await flows.create(req.body, author(req)));
  });
  router.get('/api/flows/:id', async (req, res) => {
    res.json(await flows.load(req.params.id));
  });
  router.put('/api/flows/:id', async (req, res) => {
    const body = req.body as { id?: unknown };
    if (body && typeof body === 'object' && body.id !== undefined && body.id !== req.params.id) {
      throw new DomainError('invalid_field', 'does not match the URL', { field: 'id' });
    }
    await flows.stored(req.params.id);
    res.json(await flows.save({ ...body, id: req.params.id }, author(req)));
  });
  router.delete('/api/flows/:id', async (req, res) => {
    await flows.remove(req.params.id);
    res.status(204).end();
  });
  router.get('/api/flows/:id/versions', async (req, res) => {
    const stored = await flows.stored(req.params.id);
    res.json({
      currentVersion: stored.currentVersion,
      versions: stored.versions.map(({ version, savedAt, savedBy }) => ({ version, savedAt, savedBy })),
    });
  });
  router.get('/api/flows/:id/versions/:version', async (req, res) => {
    res.json(await flows.version(req.params.id, positive(req.params.version, 'version')));
  });

  /**
   * A test run: `{ integration, lead?, leadId?, flow? }` — the saved flow (or the unsaved document
   * given) against a sample lead or a stored one. Nothing changes; the execution is recorded as a test.
   */
  router.post('/api/flows/:id/test', async (req, res) => {
    const body = (req.body ?? {}) as { integration?: unknown; lead?: unknown; leadId?: unknown; flow?: unknown; trigger?: unknown };
    const flow = body.flow !== undefined ? flows.check(body.flow) : await flows.load(req.params.id);
    if (typeof body.integration !== 'string') throw new DomainError('invalid_field', 'is required', { field: 'integration' });
    let lead: Lead;
    if (body.leadId !== undefined) {
      const stored = await store.getLead(positive(body.leadId, 'leadId'));
      if (!stored) throw new DomainError('not_found', `no lead ${body.leadId}`, { field: 'leadId' });
      lead = stored;
    } else {
      const now = new Date().toISOString();
      lead = { ...parseLeadInput(body.lead), id: 0, integration: body.integration, stage: 'new', created_at: now, updated_at: now };
    }
    const result = await runner.testRun(flow, body.integration, lead, body.trigger);
    res.json({ execution: result.execution, response: result.response, error: result.error });
  });

  // integrations
  router.get('/api/integrations', async (_req, res) => {
    res.json({ integrations: await integrations.list() });
  });
  router.post('/api/integrations', async (req, res) => {
    res.status(201).json(await integrations.create(req.body));
  });
  router.get('/api/integrations/:id', async (req, res) => {
    res.json(integrations.view(await integrations.get(req.params.id)));
  });
  router.patch('/api/integrations/:id', async (req, res) => {
    res.json(await integrations.update(req.params.id, req.body));
  });
  router.put('/api/integrations/:id', async (req, res) => {
    res.json(await integrations.update(req.params.id, req.body));
  });
  router.delete('/api/integrations/:id', async (req, res) => {
    await integrations.remove(req.params.id);
    res.status(204).end();
  });

  // offers and webmasters
  router.get('/api/offers', async (_req, res) => {
    res.json({ offers: await offers.list() });
  });
  router.post('/api/offers', async (req, res) => {
    res.status(201).json(await offers.create(req.body));
  });
  router.get('/api/offers/:id', async (req, res) => {
    res.json(await offers.get(req.params.id));
  });
  router.put('/api/offers/:id', async (req, res) => {
    res.json(await offers.put(req.body, req.params.id));
  });
  router.delete('/api/offers/:id', async (req, res) => {
    await offers.remove(req.params.id);
    res.status(204).end();
  });
  router.get('/api/webmasters', async (_req, res) => {
    res.json({ webmasters: await offers.listWebmasters() });
  });
  router.get('/api/webmasters/:id', async (req, res) => {
    res.json(await offers.getWebmaster(req.params.id));
  });
  router.put('/api/webmasters/:id', async (req, res) => {
    res.json(await offers.putWebmaster(req.body, req.params.id));
  });
  router.delete('/api/webmasters/:id', async (req, res) => {
    await offers.removeWebmaster(req.params.id);
    res.status(204).end();
  });

  // executions: the integration log
  router.get('/api/executions', async (req, res) => {
    const q = req.query;
    const list = await store.listExecutions({
      leadId: q.lead === undefined ? undefined : positive(q.lead, 'lead'),
      flowId: typeof q.flow === 'string' ? q.flow : undefined,
      integrationId: typeof q.integration === 'string' ? q.integration : undefined,
      before: q.before === undefined ? undefined : positive(q.before, 'before'),
      limit: q.limit === undefined ? 50 : Math.min(positive(q.limit, 'limit'), 500),
    });
    res.json({ executions: list });
  });
  router.get('/api/executions/:id', async (req, res) => {
    const execution = await store.getExecution(positive(req.params.id, 'id'));
    if (!execution) throw new DomainError('not_found', `no execution ${req.params.id}`, { field: 'id' });
    res.json(execution);
  });

  /** Runs an execution's event again on the flow's current version. */
  router.post('/api/executions/:id/rerun', async (req, res) => {
    const result = await runner.rerun(positive(req.params.id, 'id'));
    res.json({ execution: result.execution, error: result.error });
  });
  /** Retries a failed execution from its failed node, on its version, with the recorded input. */
  router.post('/api/executions/:id/retry', async (req, res) => {
    const result = await runner.retryFromFailure(positive(req.params.id, 'id'));
    res.json({ execution: result.execution, error: result.error });
  });

  return router;
}
