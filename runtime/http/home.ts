/**
 * `/` until the editor is built: a plain page that lists integrations and flows and links to the
 * API. When `editor/dist` exists, the editor is served instead (see app.ts).
 */
import { Router } from 'express';
import type { FlowService } from '../services/flows.ts';
import type { IntegrationService } from '../services/integrations.ts';

const escape = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

export function homeRoutes(flows: FlowService, integrations: IntegrationService): Router {
  const router = Router();
  router.get('/', async (_req, res) => {
    const [flowList, integrationList] = await Promise.all([flows.list(), integrations.list()]);
    const flowRows = flowList
      .map(
        (f) =>
          `<li><a href="/api/flows/${encodeURIComponent(f.id)}">${escape(f.name)}</a> <code>${escape(f.event)}</code> v${f.currentVersion}</li>`,
      )
      .join('');
    const integrationRows = integrationList
      .map(
        (i) =>
          `<li>${escape(i.name)} (${i.enabled ? 'on' : 'off'}) — offers: ${escape(i.offers.join(', ') || 'none')} — postback URL: <code>${escape(i.postbackUrl)}</code></li>`,
      )
      .join('');
    res.type('html').send(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>leadflow</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}code{background:#f3f3f3;padding:0 .2em}</style></head>
<body><h1>leadflow</h1>
<h2>Integrations</h2><ul>${integrationRows || '<li>none</li>'}</ul>
<h2>Flows</h2><ul>${flowRows || '<li>none</li>'}</ul>
<h2>API</h2><ul>
<li><a href="/api/leads">GET /api/leads</a> — leads, newest first; <code>POST /api/leads</code> sends one</li>
<li><a href="/api/executions">GET /api/executions</a> — the integration log</li>
<li><a href="/api/integrations">/api/integrations</a>, <a href="/api/offers">/api/offers</a>, <a href="/api/webmasters">/api/webmasters</a>, <a href="/api/flows">/api/flows</a>, <a href="/api/nodes">/api/nodes</a></li>
</ul></body></html>`);
  });
  return router;
}
