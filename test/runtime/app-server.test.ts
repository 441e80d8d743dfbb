/**
 * The runtime's HTTP server (runtime/http/app-server.ts): node:http builds every request and answer
 * on Express's own prototypes, so Express's per-request `Object.setPrototypeOf` changes nothing
 * (what made every request slower), and Express works on them as on its own.
 */
import { once } from 'node:events';
import { IncomingMessage, ServerResponse, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { appServer } from '../../runtime/http/app-server.ts';

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

async function serve(app: express.Express) {
  const server = appServer(app);
  servers.push(server);
  /** Each request's prototypes as node:http made them, before Express saw the request. */
  const born: boolean[] = [];
  server.prependListener('request', (req, res) => {
    born.push(Object.getPrototypeOf(req) === app.request && Object.getPrototypeOf(res) === app.response);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, born };
}

describe("the runtime's HTTP server", () => {
  it("makes each request and answer with Express's prototypes, which Express then serves as usual", async () => {
    const app = express();
    app.use(express.json());
    app.post('/leads/:offer', (req, res) => {
      res.status(201).json({
        offer: req.params.offer,
        phone: (req.body as { phone?: string }).phone,
        key: req.get('x-api-key'),
        node: req instanceof IncomingMessage && res instanceof ServerResponse,
      });
    });
    const { url, born } = await serve(app);
    for (const phone of ['+491511', '+491512']) {
      const answer = await fetch(`${url}/leads/tea`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': 'k1' },
        body: JSON.stringify({ phone }),
      });
      expect(answer.status).toBe(201);
      expect(answer.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(await answer.json()).toEqual({ offer: 'tea', phone, key: 'k1', node: true });
    }
    expect(born).toEqual([true, true]);
  });

  it('streams an answer written in parts, and answers an unknown route 404', async () => {
    const app = express();
    app.get('/events', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: 1\n\n');
      setTimeout(() => res.end('data: 2\n\n'), 10);
    });
    const { url } = await serve(app);
    const answer = await fetch(`${url}/events`);
    expect(await answer.text()).toBe('data: 1\n\ndata: 2\n\n');
    expect((await fetch(`${url}/nothing`)).status).toBe(404);
  });
});
