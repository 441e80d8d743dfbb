/** Inbound postbacks from targets: `GET|POST /postback/:integration?token=…`. */
import { Router } from 'express';
import type { InboundPostbacks } from '../services/postback-in.ts';

export function postbackRoutes(postbacks: InboundPostbacks): Router {
  const router = Router();
  router.all('/postback/:integration', async (req, res) => {
    if (req.method !== 'GET' && req.method !== 'POST') {
      res.status(405).set('Allow', 'GET, POST').json({ error: 'method_not_allowed' });
      return;
    }
    const query = req.query as Record<string, unknown>;
    const token = query.token ?? (req.body as Record<string, unknown> | undefined)?.token;
    const answer = await postbacks.receive(req.params.integration, token, query, req.body ?? {});
    res.status(answer.status).json(answer.body);
  });
  return router;
}
