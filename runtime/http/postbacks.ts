/**
 * Inbound postbacks from targets: `GET|POST /postback/:integration?token=…`. The checks (allow-list,
 * token, signature) are the service's; this hands it what they need from the request as it arrived.
 */
import { Router } from 'express';
import type { InboundPostbacks } from '../services/postback-in.ts';
import { rawBodyOf } from './body-limits.ts';
import { answerJson } from './machine-answer.ts';

export function postbackRoutes(postbacks: InboundPostbacks): Router {
  const router = Router();
  router.all('/postback/:integration', async (req, res) => {
    if (req.method !== 'GET' && req.method !== 'POST') {
      res.status(405).set('Allow', 'GET, POST').json({ error: 'method_not_allowed' });
      return;
    }
    const query = req.query as Record<string, unknown>;
    const rawQuery = req.originalUrl.includes('?') ? req.originalUrl.slice(req.originalUrl.indexOf('?') + 1) : '';
    const answer = await postbacks.receive(req.params.integration, {
      token: query.token ?? (req.body as Record<string, unknown> | undefined)?.token,
      ip: req.ip,
      query,
      body: req.body ?? {},
      rawBody: rawBodyOf(req),
      rawQuery,
      headers: req.headers,
    });
    answerJson(res, answer.status, answer.body);
  });
  return router;
}
