/**
 * What Express costs a JSON POST by itself, in this process: the same request — a lead's JSON
 * body read and parsed, a JSON answer of 201 — served by node:http alone, by Express 5 routing to
 * the same handler, by Express 5 with its JSON body parser and `res.json`, and by that with
 * leadflow's security headers (`runtime/http/security-headers.ts`, helmet); the Express apps also
 * on the runtime's own server (`runtime/http/app-server.ts`), which builds node:http's objects with
 * Express's prototypes. Loaded by the bench's load generator from its own
 * process (`connections` closed-loop connections, `--requests` per round), seven rounds each, CPU
 * per request of this process. The difference between the first and the others is the least
 * Express and helmet add to every request leadflow serves (its own app has more layers
 * before the intake's route: the drain, the key taken out of the URL, CORS, body limits, auth).
 *
 *   npx tsx bench/parts/express-cost.ts [--requests 20000]
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import express, { type Express } from 'express';
import { appServer } from '../../runtime/http/app-server.ts';
import { securityHeaders } from '../../runtime/http/security-headers.ts';
import { load } from '../harness.ts';
import { SEND_LEAD } from '../scenarios/send-integration.ts';
import { cpuRounds, medianAndLeast } from './rounds.ts';

const { values } = parseArgs({ options: { requests: { type: 'string', default: '20000' } } });
const REQUESTS = Number(values.requests);
const CONNECTIONS = 50;

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

/** The answer all three give: the lead's offer back, as an intake answers its id. */
const answerOf = (body: unknown) => ({ id: 1, offer: (body as { offer?: unknown }).offer, stage: 'new' });

/** node:http's handler, and Express's route in its first variant: the body read and the answer written by hand. */
const plain: RequestListener = (req, res) => {
  readJson(req).then(
    (body) => {
      const text = JSON.stringify(answerOf(body));
      res.writeHead(201, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    },
    () => {
      res.writeHead(400).end();
    },
  );
};

function expressApp(how: 'by hand' | 'json' | 'json and headers'): Express {
  const app = express();
  if (how === 'by hand') {
    app.post('/api/leads', plain);
    return app;
  }
  if (how === 'json and headers') app.use(securityHeaders());
  app.use(express.json({ limit: '100kb' }));
  app.post('/api/leads', (req, res) => {
    res.status(201).json(answerOf(req.body));
  });
  return app;
}

/** Each served by node:http as it comes, or (`born`) by the runtime's server (runtime/http/app-server.ts). */
const variants: [string, () => Server][] = [
  ['node:http', () => createServer(plain)],
  ["Express 5, one route, node:http's handler", () => createServer(expressApp('by hand'))],
  ["the same on the runtime's server (objects born with Express's prototypes)", () => appServer(expressApp('by hand'))],
  ['Express 5, express.json, one route, res.json', () => createServer(expressApp('json'))],
  ["the same + leadflow's security headers (helmet)", () => createServer(expressApp('json and headers'))],
  ["the same on the runtime's server", () => appServer(expressApp('json and headers'))],
];

for (const [name, serve] of variants) {
  const server = serve();
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/leads`;
  try {
    // load() fails on any error or answer that is not 2xx
    const perRequest = await cpuRounds(async () => (await load({ url, body: SEND_LEAD, connections: CONNECTIONS, amount: REQUESTS })).ok);
    console.log(`${name}: ${medianAndLeast(perRequest)} µs CPU per request`);
  } finally {
    server.closeAllConnections();
    server.close();
  }
}
