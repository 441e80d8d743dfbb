/**
 * Sandbox target: a fulfilment (delivery) CRM — the target of the `fulfilment-crm` template. It
 * takes approved orders, ships them, and reports each status by its numeric id.
 *
 * - Auth: the `X-Api-Key` header on every call; a wrong or missing key answers 401 `{ "error": "bad api key" }`.
 * - `POST /api/v1/orders` takes a JSON order: `external_id` (our key of the order: the template
 *   sends the lead's delivery key), `order_ref` (our lead id), `recipient: { name, phone }`,
 *   `address: { country, city, zip, street, line }` and `items: [{ sku, qty, price }]` —
 *   `external_id`, `recipient.name`, `recipient.phone`, `address.city` or `address.line`, and at
 *   least one item with a `sku` required. Success: `{ "order": { "id": "FO-1001", "status_id": 1 } }`;
 *   refusals: 422 `{ "error": "…" }`; an `external_id` sent before answers the order it made.
 * - `GET /api/v1/orders/status?ids=FO-1001,FO-1002` (up to 100) answers
 *   `{ "orders": [{ "id", "order_ref", "status_id", "status_name", "reason" }] }`.
 * - Status ids: 1 accepted, 2 packed, 3 shipped, 4 delivered, 5 paid, 6 returned (with a reason).
 * - Orders move on their own, one step every `stepMs`, as the phone's last digit says: 4 is
 *   returned after shipping; every other digit goes packed, shipped, delivered, paid. With a
 *   postback URL set (`PUT /api/v1/settings/postback {"url": …}`, as in the CRM's settings), each change is also sent there as
 *   `GET {postbackUrl}&order_id=…&order_ref=…&status_id=…&status_name=…&reason=…`.
 */
import express from 'express';
import { callPostback, digitsOf, fieldsOf, listen, text } from './sandbox.ts';

export interface FulfilmentCrmOptions {
  apiKey: string;
  stepMs?: number;
  postbackUrl?: string;
}

export const FULFILMENT_STATUSES = { 1: 'accepted', 2: 'packed', 3: 'shipped', 4: 'delivered', 5: 'paid', 6: 'returned' } as const;
export type FulfilmentStatusId = keyof typeof FULFILMENT_STATUSES;

export interface FulfilmentOrder {
  id: string;
  external_id: string;
  order_ref: string;
  recipient: { name: string; phone: string };
  address: Record<string, string>;
  items: { sku: string; qty: number; price?: number }[];
  status_id: FulfilmentStatusId;
  reason: string;
}

export interface FulfilmentCrm {
  url: string;
  orders: Map<string, FulfilmentOrder>;
  setPostbackUrl(url: string | undefined): void;
  close(): Promise<void>;
}

/** The statuses an order goes through after `accepted`, by its phone's last digit. */
function pathOf(phone: string): FulfilmentStatusId[] {
  return phone.endsWith('4') ? [2, 3, 6] : [2, 3, 4, 5];
}

export async function startFulfilmentCrm(port: number, options: FulfilmentCrmOptions, host = '127.0.0.1'): Promise<FulfilmentCrm> {
  const orders = new Map<string, FulfilmentOrder>();
  const timers = new Set<NodeJS.Timeout>();
  let postbackUrl = options.postbackUrl;
  let next = 1000;

  const report = (order: FulfilmentOrder) => {
    if (!postbackUrl) return;
    const url = new URL(postbackUrl);
    const values = { order_id: order.id, order_ref: order.order_ref, status_id: order.status_id, reason: order.reason };
    for (const [name, value] of Object.entries(values)) url.searchParams.set(name, String(value));
    url.searchParams.set('status_name', FULFILMENT_STATUSES[order.status_id]);
    void callPostback(url.href);
  };
  const move = (order: FulfilmentOrder, path: FulfilmentStatusId[]) => {
    const [status, ...rest] = path;
    if (status === undefined) return;
    const timer = setTimeout(() => {
      timers.delete(timer);
      order.status_id = status;
      if (status === 6) order.reason = 'parcel refused at the door';
      report(order);
      move(order, rest);
    }, options.stepMs ?? 20_000);
    timers.add(timer);
  };

  const app = express();
  app.disable('x-powered-by');
  app.use(express.json({ limit: '1mb' }));
  app.use('/api', (req, res, nextHandler) => {
    if (req.get('x-api-key') !== options.apiKey) {
      res.status(401).json({ error: 'bad api key' });
      return;
    }
    nextHandler();
  });

  app.post('/api/v1/orders', (req, res) => {
    const body = fieldsOf(req.body);
    const refuse = (error: string) => res.status(422).json({ error });
    const externalId = text(body.external_id);
    if (externalId === '') return refuse('external_id is required');
    const known = [...orders.values()].find((o) => o.external_id === externalId);
    if (known) return res.json({ order: { id: known.id, status_id: known.status_id } });
    const recipient = fieldsOf(body.recipient);
    if (text(recipient.name) === '') return refuse('recipient.name is required');
    const phone = digitsOf(recipient.phone);
    if (phone.length < 7 || phone.length > 15) return refuse('recipient.phone must have 7 to 15 digits');
    const address = Object.fromEntries(Object.entries(fieldsOf(body.address)).map(([k, v]) => [k, text(v)]));
    if (!address.city && !address.line) return refuse('address: give the city or the whole address line');
    const items = Array.isArray(body.items) ? body.items.map(fieldsOf) : [];
    if (items.length === 0 || items.some((item) => text(item.sku) === '')) return refuse('items: at least one, each with its sku');
    const order: FulfilmentOrder = {
      id: `FO-${++next}`,
      external_id: externalId,
      order_ref: text(body.order_ref),
      recipient: { name: text(recipient.name), phone },
      address,
      items: items.map((item) => ({
        sku: text(item.sku),
        qty: Number(item.qty) || 1,
        ...(text(item.price) ? { price: Number(item.price) } : {}),
      })),
      status_id: 1,
      reason: '',
    };
    orders.set(order.id, order);
    move(order, pathOf(phone));
    res.json({ order: { id: order.id, status_id: order.status_id } });
  });

  // where the integrator pastes the integration's postback URL, as in the CRM's settings page
  app.put('/api/v1/settings/postback', (req, res) => {
    const url = text(fieldsOf(req.body).url);
    if (!/^https?:\/\/.+/.test(url)) return res.status(422).json({ error: 'url: give the http(s) URL to call' });
    postbackUrl = url;
    res.json({ ok: true, url });
  });

  app.get('/api/v1/orders/status', (req, res) => {
    const ids = text(req.query.ids)
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    if (ids.length === 0 || ids.length > 100) return res.status(422).json({ error: 'ids: give 1 to 100 order ids' });
    const found = ids.map((id) => orders.get(id)).filter((o): o is FulfilmentOrder => o !== undefined);
    res.json({
      orders: found.map((o) => ({
        id: o.id,
        order_ref: o.order_ref,
        status_id: o.status_id,
        status_name: FULFILMENT_STATUSES[o.status_id],
        reason: o.reason,
      })),
    });
  });

  const server = await listen(app, port, host, () => {
    for (const timer of timers) clearTimeout(timer);
    timers.clear();
  });
  return {
    url: server.url,
    orders,
    setPostbackUrl(url) {
      postbackUrl = url;
    },
    close: server.close,
  };
}
