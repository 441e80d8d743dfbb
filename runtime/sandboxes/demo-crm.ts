/**
 * The demo sandbox target: a small CRM that `npm start` runs beside the runtime, so a lead can be
 * sent and followed with no internet. It behaves like the real ones it stands for:
 *
 * - `POST /api/orders` takes a JSON order; it checks the `X-Api-Key` header and an `X-Signature`
 *   header holding the HMAC-SHA256 (hex) of the raw body with the API secret; it answers
 *   `{ "status": "ok", "order_id": "D1001" }`, or `{ "status": "error", "error": "…" }` with 400
 *   (a bad field), 401/403 (credentials) or 409 (a duplicate phone for the offer). An
 *   `Idempotency-Key` header seen before answers the order that send made, whatever the body.
 * - Each order then moves on its own, one step every `stepMs`: `new` → `processing` → a final
 *   status decided by the phone's last digit (0–5 `confirmed`, 6–7 `rejected` with a comment,
 *   8 `hold`, 9 `spam`). Every change is sent to `postbackUrl` (when set) as
 *   `GET {postbackUrl}&order_id=…&status=…&comment=…`.
 * - `GET /api/orders/status?ids=D1001,D1002` answers the current statuses.
 * - `GET /tracker?…` stands in for a webmaster's tracker: it keeps every hit, listed at `GET /tracker/hits`.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';

export interface DemoCrmOptions {
  apiKey: string;
  apiSecret: string;
  /** Where status changes are posted back; the token is part of it. */
  postbackUrl?: string;
  /** Time between two status steps of an order. */
  stepMs?: number;
}

export interface DemoOrder {
  order_id: string;
  offer_id: string;
  phone: string;
  name?: string;
  status: 'new' | 'processing' | 'confirmed' | 'rejected' | 'hold' | 'spam';
  comment?: string;
  created_at: string;
}

export interface DemoCrm {
  url: string;
  orders: Map<string, DemoOrder>;
  trackerHits: Record<string, string>[];
  setPostbackUrl(url: string | undefined): void;
  close(): Promise<void>;
}

function finalStatus(phone: string): Pick<DemoOrder, 'status' | 'comment'> {
  const last = Number(phone.replace(/\D/g, '').slice(-1));
  if (last <= 5) return { status: 'confirmed', comment: 'confirmed by phone' };
  if (last <= 7) return { status: 'rejected', comment: 'customer changed their mind' };
  if (last === 8) return { status: 'hold', comment: 'waiting for stock' };
  return { status: 'spam', comment: 'fake number' };
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export async function startDemoCrm(port: number, options: DemoCrmOptions, host = '127.0.0.1'): Promise<DemoCrm> {
  const orders = new Map<string, DemoOrder>();
  /** `Idempotency-Key` → the order that send made. */
  const byKey = new Map<string, DemoOrder>();
  const trackerHits: Record<string, string>[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let postbackUrl = options.postbackUrl;
  let next = 1000;
  const stepMs = options.stepMs ?? 20_000;

  const notify = async (order: DemoOrder) => {
    if (!postbackUrl) return;
    const url = new URL(postbackUrl);
    url.searchParams.set('order_id', order.order_id);
    url.searchParams.set('status', order.status);
    if (order.comment) url.searchParams.set('comment', order.comment);
    try {
      await fetch(url, { signal: AbortSignal.timeout(5000) });
    } catch {
      // the runtime may be restarting; a real CRM would retry, the demo just goes on
    }
  };
  const schedule = (order: DemoOrder) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (order.status === 'new') {
        order.status = 'processing';
        schedule(order);
      } else if (order.status === 'processing') {
        Object.assign(order, finalStatus(order.phone));
      }
      void notify(order);
    }, stepMs);
    timers.add(timer);
  };

  const app = express();
  app.use(express.raw({ type: '*/*', limit: '1mb' }));
  app.post('/api/orders', (req, res) => {
    const raw = Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '';
    if (!same(req.get('x-api-key') ?? '', options.apiKey)) {
      res.status(401).json({ status: 'error', error: 'unknown api key' });
      return;
    }
    const expected = createHmac('sha256', options.apiSecret).update(raw).digest('hex');
    if (!same(req.get('x-signature') ?? '', expected)) {
      res.status(403).json({ status: 'error', error: 'bad signature' });
      return;
    }
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      res.status(400).json({ status: 'error', error: 'body is not JSON' });
      return;
    }
    const key = req.get('idempotency-key') ?? '';
    const made = key === '' ? undefined : byKey.get(key);
    if (made) {
      res.json({ status: 'ok', order_id: made.order_id });
      return;
    }
    const phone = String(body.phone ?? '');
    if (!body.offer_id) {
      res.status(400).json({ status: 'error', error: 'offer_id is required' });
      return;
    }
    if (phone.replace(/\D/g, '').length < 7) {
      res.status(400).json({ status: 'error', error: 'invalid phone' });
      return;
    }
    const duplicate = [...orders.values()].some((o) => o.phone === phone && o.offer_id === String(body.offer_id));
    if (duplicate) {
      res.status(409).json({ status: 'error', error: 'duplicate order' });
      return;
    }
    const order: DemoOrder = {
      order_id: `D${++next}`,
      offer_id: String(body.offer_id),
      phone,
      name: body.name === undefined ? undefined : String(body.name),
      status: 'new',
      created_at: new Date().toISOString(),
    };
    orders.set(order.order_id, order);
    if (key !== '') byKey.set(key, order);
    schedule(order);
    res.json({ status: 'ok', order_id: order.order_id });
  });
  app.get('/api/orders/status', (req, res) => {
    if (!same(req.get('x-api-key') ?? '', options.apiKey)) {
      res.status(401).json({ status: 'error', error: 'unknown api key' });
      return;
    }
    const ids = String(req.query.ids ?? '')
      .split(',')
      .filter(Boolean);
    res.json({
      orders: ids
        .map((id) => orders.get(id))
        .filter(Boolean)
        .map((o) => ({ order_id: o?.order_id, status: o?.status, comment: o?.comment })),
    });
  });
  app.get('/tracker', (req, res) => {
    trackerHits.push(Object.fromEntries(Object.entries(req.query).map(([k, v]) => [k, String(v)])));
    res.type('text').send('ok');
  });
  app.get('/tracker/hits', (_req, res) => {
    res.json({ hits: trackerHits });
  });

  const server: Server = app.listen(port, host);
  await once(server, 'listening');
  const address = server.address() as AddressInfo;
  return {
    url: `http://${host}:${address.port}`,
    orders,
    trackerHits,
    setPostbackUrl(url) {
      postbackUrl = url;
    },
    async close() {
      for (const timer of timers) clearTimeout(timer);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
