import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { removeDataDir, startRuntime, waitForSettled, cleanUpAfterEach } from '../support/harness.ts';

const cleanups = cleanUpAfterEach();

/**
 * A target whose tracking call (GET /track) answers with the headers real servers send —
 * keep-alive, a content length, cookies, its own — and whose lead call (POST /leads) records what
 * reached it. Written with Node's server directly so the GET's answer headers are exactly these.
 */
async function startTwoStepTarget() {
  const posts: { headers: IncomingHttpHeaders; body: string }[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method === 'GET' && req.url?.startsWith('/track')) {
        const body = JSON.stringify({ id: 'trk-77' });
        res.writeHead(200, {
          'Content-Type': 'application/json',
          'Content-Length': String(Buffer.byteLength(body)),
          Connection: 'keep-alive',
          'Keep-Alive': 'timeout=5, max=100',
          'Set-Cookie': 'sid=abc; Path=/',
          'X-Track': 'hdr-9',
        });
        res.end(body);
        return;
      }
      posts.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ status: 'ok', order_id: 'E-1' }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    posts,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const edge = (id: string, source: string, target: string, sourceHandle = 'out') => ({
  id,
  source,
  sourceHandle,
  target,
  targetHandle: 'in',
});

/** lead → GET /track → (a builder, or none) → POST /leads → Extract → Update Lead (wait). */
function twoStepFlow(id: string, builder?: { type: string; params: Record<string, unknown> }) {
  const send = {
    id: 'send',
    type: 'http-request',
    position: { x: 3, y: 0 },
    params: {
      method: 'POST',
      url: '{{integration.settings.base_url}}/leads',
      headers: [{ key: 'X-Track', value: '{{nodes.track.headers.x-track}}' }],
      ...(builder ? { body: 'input' } : { body: 'json', json: { track: '{{nodes.track.body.id}}', phone: '{{lead.phone}}' } }),
    },
  };
  const nodes = [
    { id: 'lead', type: 'lead-in', position: { x: 0, y: 0 }, params: {} },
    {
      id: 'track',
      type: 'http-request',
      position: { x: 1, y: 0 },
      params: { method: 'GET', url: '{{integration.settings.base_url}}/track' },
    },
    ...(builder ? [{ id: 'build', position: { x: 2, y: 0 }, ...builder }] : []),
    send,
    {
      id: 'answer',
      type: 'extract',
      position: { x: 4, y: 0 },
      params: { fields: [{ key: 'eid', value: 'body.order_id' }], required: 'eid' },
    },
    { id: 'accepted', type: 'update-lead', position: { x: 5, y: 0 }, params: { find: 'lead', stage: 'wait', setEid: '{{input.eid}}' } },
  ];
  const edges = builder
    ? [edge('e1', 'lead', 'track'), edge('e2', 'track', 'build'), edge('e3', 'build', 'send')]
    : [edge('e1', 'lead', 'track'), edge('e3', 'track', 'send')];
  edges.push(edge('e4', 'send', 'answer'), edge('e5', 'answer', 'accepted'));
  return { id, name: id, event: 'lead.new', nodes, edges };
}

const CONNECTION_HEADERS = ['keep-alive', 'set-cookie', 'cookie', 'x-powered-by'];

describe('a two-step send: a GET whose answer sets keep-alive and other headers, then the POST of the lead', () => {
  for (const [name, builder] of [
    [
      'JSON Build',
      { type: 'json-build', params: { body: { track: '{{nodes.track.body.id}}', phone: '{{lead.phone}}', key: '{{secrets.api_key}}' } } },
    ],
    [
      'Form Build',
      {
        type: 'form-build',
        params: {
          fields: [
            { key: 'track', value: '{{nodes.track.body.id}}' },
            { key: 'phone', value: '{{lead.phone}}' },
            { key: 'key', value: '{{secrets.api_key}}' },
          ],
        },
      },
    ],
    ['no builder (HTTP Request after HTTP Request)', undefined],
  ] as const) {
    it(`with ${name} between them, the POST carries none of the first answer's headers, and the lead moves to wait`, async () => {
      const target = await startTwoStepTarget();
      const t = await startRuntime();
      cleanups.push(
        () => target.stop(),
        () => t.close(),
        () => removeDataDir(t.dataDir),
      );
      const flow = twoStepFlow('two-step', builder);
      expect((await t.api('POST', '/api/flows', flow)).status).toBe(201);
      expect((await t.api('POST', '/api/offers', { id: 'tea', name: 'Tea', parameters: {} })).status).toBe(201);
      const created = await t.api('POST', '/api/integrations', {
        id: 'two',
        name: 'Two steps',
        enabled: true,
        settings: { base_url: target.url },
        secrets: { api_key: 'two-step-key-5521' },
        offers: ['tea'],
        flows: { 'lead.new': 'two-step' },
      });
      expect(created.status).toBe(201);

      const posted = await t.api('POST', '/api/leads', { offer: 'tea', phone: '+4915123456780' });
      expect(posted.status).toBe(202);
      // the execution read below is stored after the stage
      const shown = (await waitForSettled(t, posted.body.id, 'wait')).lead;
      expect(shown.eid).toBe('E-1');

      expect(target.posts).toHaveLength(1);
      const [post] = target.posts;
      for (const header of CONNECTION_HEADERS) expect(post.headers[header], header).toBeUndefined();
      // what the flow mapped on purpose did arrive
      expect(post.headers['x-track']).toBe('hdr-9');
      expect(post.body).toContain('trk-77');
      expect(post.headers['content-length']).toBe(String(Buffer.byteLength(post.body)));
      if (builder) expect(post.body).toContain('two-step-key-5521');
      // and the record shows the secret masked
      const executions = (await t.api('GET', `/api/executions?leadId=${posted.body.id}`)).body;
      expect(JSON.stringify(executions)).not.toContain('two-step-key-5521');
    });
  }
});
