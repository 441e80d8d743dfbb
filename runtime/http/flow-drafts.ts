/**
 * Drafts and publishing: `GET|PUT|DELETE /api/flows/:id/draft` (the asking user's draft),
 * `POST /api/flows/:id/publish` (`PublishRequest` in core/api.ts) and
 * `GET /api/flows/:id/diff?from=&to=` (each a version number, `live` or `draft`).
 */
import { Router, type Request } from 'express';
import { DomainError } from '../../core/domain/errors.ts';
import type { FlowDraftService, DiffSide } from '../services/flow-drafts.ts';
import { positive, sessionUser } from './params.ts';

export function flowDraftRoutes(drafts: FlowDraftService): Router {
  const router = Router();

  router.get('/api/flows/:id/draft', async (req, res) => {
    res.json(await drafts.get(req.params.id, sessionUser(req)));
  });

  router.put('/api/flows/:id/draft', async (req, res) => {
    res.json(await drafts.save(req.params.id, req.body, sessionUser(req)));
  });

  router.delete('/api/flows/:id/draft', async (req, res) => {
    await drafts.discard(req.params.id, sessionUser(req));
    res.status(204).end();
  });

  router.post('/api/flows/:id/publish', async (req, res) => {
    res.json(await drafts.publish(req.params.id, sessionUser(req), req.body));
  });

  router.get('/api/flows/:id/diff', async (req, res) => {
    res.json(await drafts.diff(req.params.id, side(req, 'from'), side(req, 'to'), sessionUser(req)));
  });

  return router;
}

function side(req: Request, field: 'from' | 'to'): DiffSide {
  const value = req.query[field];
  if (value === 'live' || value === 'draft') return value;
  if (value === undefined) throw new DomainError('invalid_field', 'is required: a version number, "live" or "draft"', { field });
  return positive(value, field);
}
