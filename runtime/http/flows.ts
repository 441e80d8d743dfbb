/**
 * Flows and their versions: `/api/flows`, `/api/flows/validate`, `/api/flows/:id`, `/api/flows/:id/versions[/:version]`.
 * Drafts and publishing are in flow-drafts.ts.
 */
import { Router } from 'express';
import { DomainError } from '../../core/domain/errors.ts';
import { versionInfo, type FlowService } from '../services/flows.ts';
import type { FlowDraftService } from '../services/flow-drafts.ts';
import type { FlowListAnswer } from '../../core/api.ts';
import { actorOf, author, positive, sessionUser } from './params.ts';

export function flowRoutes(flows: FlowService, drafts: FlowDraftService): Router {
  const router = Router();

  router.get('/api/flows', async (req, res) => {
    res.json({ flows: await flows.list(), drafts: await drafts.listOf(sessionUser(req)) } satisfies FlowListAnswer);
  });

  router.post('/api/flows/validate', (req, res) => {
    const result = flows.validate(req.body);
    const warnings = result.warnings ?? [];
    res.json(result.ok ? { ok: true, issues: [], warnings } : { ok: false, issues: result.issues, warnings });
  });

  router.post('/api/flows', async (req, res) => {
    res.status(201).json(await flows.create(req.body, author(req), actorOf(res)));
  });

  router.get('/api/flows/:id', async (req, res) => {
    res.json(await flows.load(req.params.id));
  });

  /**
   * Publishes a new version of a flow that exists (the API's way; the editor publishes drafts with
   * `POST /api/flows/:id/publish`); the body's id, when given, must be the URL's. Drafts stay as they are.
   */
  router.put('/api/flows/:id', async (req, res) => {
    const body = req.body as { id?: unknown };
    if (body && typeof body === 'object' && body.id !== undefined && body.id !== req.params.id) {
      throw new DomainError('invalid_field', 'does not match the URL', { field: 'id' });
    }
    await flows.stored(req.params.id);
    res.json(await flows.save({ ...body, id: req.params.id }, author(req), { actor: actorOf(res) }));
  });

  /** Removes the flow, its versions and drafts; a flow never published, the asking user's draft of it. */
  router.delete('/api/flows/:id', async (req, res) => {
    await flows.remove(req.params.id, sessionUser(req).id, actorOf(res));
    res.status(204).end();
  });

  router.get('/api/flows/:id/versions', async (req, res) => {
    const stored = await flows.stored(req.params.id);
    res.json({
      currentVersion: stored.currentVersion,
      versions: stored.versions.map(versionInfo),
    });
  });

  router.get('/api/flows/:id/versions/:version', async (req, res) => {
    res.json(await flows.version(req.params.id, positive(req.params.version, 'version')));
  });

  return router;
}
