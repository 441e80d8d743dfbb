/**
 * Sources (who posts leads) and their intake keys: `/api/sources`, `/api/sources/:id`,
 * `POST /api/sources/:id/keys` (rotate, with an optional grace period for the old keys),
 * `DELETE /api/sources/:id/keys/:keyId` (revoke), `POST /api/sources/:id/test-lead` (a sample lead
 * posted as the source by a signed-in person, `{ offer? }`). A key is in the answer of the call that made it
 * and in no other answer.
 */
import { Router } from 'express';
import type { IntakeService } from '../services/intake.ts';
import type { SourceService } from '../services/sources.ts';
import type { TestLeadAnswer } from '../../core/api.ts';
import { actorOf } from './params.ts';

export function sourceRoutes(sources: SourceService, intake: IntakeService): Router {
  const router = Router();

  router.get('/api/sources', async (_req, res) => {
    res.json({ sources: await sources.list() });
  });
  router.post('/api/sources', async (req, res) => {
    res.status(201).json(await sources.create(req.body, actorOf(res)));
  });
  router.get('/api/sources/:id', async (req, res) => {
    res.json(await sources.get(req.params.id));
  });
  router.patch('/api/sources/:id', async (req, res) => {
    res.json(await sources.update(req.params.id, req.body, actorOf(res)));
  });
  router.delete('/api/sources/:id', async (req, res) => {
    await sources.remove(req.params.id, actorOf(res));
    res.status(204).end();
  });
  router.post('/api/sources/:id/keys', async (req, res) => {
    res.status(201).json(await sources.rotate(req.params.id, req.body, actorOf(res)));
  });
  router.delete('/api/sources/:id/keys/:keyId', async (req, res) => {
    res.json(await sources.revoke(req.params.id, req.params.keyId, actorOf(res)));
  });

  router.post('/api/sources/:id/test-lead', async (req, res) => {
    const { lead, status } = await intake.acceptTestLead(req.params.id, req.body);
    const answer: TestLeadAnswer = { id: lead.id, stage: lead.stage, offer: lead.offer };
    res.status(status).json(answer);
  });

  return router;
}
