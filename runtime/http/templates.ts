/**
 * Templates and "new integration from template":
 * - `GET /api/templates`: every template with its description and what it asks for (settings,
 *   secrets, offer parameters) and the events it handles;
 * - `GET /api/templates/:id`: one template, flows included;
 * - `POST /api/integrations/from-template` `{ template, id, name, settings?, secrets?, offers?, enabled? }`:
 *   creates the flows (`<id>-<flow>`) and the integration; answers 201 with the integration, the
 *   `missing` settings, secrets and offer parameters, and for targets that send postbacks the
 *   postback URL with its tail of macros (`postbackUrlWithTail`).
 */
import { Router } from 'express';
import type { TemplateService } from '../services/templates.ts';
import { actorOf, author } from './params.ts';

export function templateRoutes(templates: TemplateService): Router {
  const router = Router();
  router.get('/api/templates', (_req, res) => {
    res.json({ templates: templates.list() });
  });
  router.get('/api/templates/:id', (req, res) => {
    res.json(templates.get(req.params.id));
  });
  router.post('/api/integrations/from-template', async (req, res) => {
    res.status(201).json(await templates.instantiate(req.body, author(req), actorOf(res)));
  });
  return router;
}
