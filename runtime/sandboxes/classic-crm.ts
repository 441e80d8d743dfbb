/**
 * Sandbox target: a classic order CRM (call centre and delivery) — the target of the
 * `classic-crm` template.
 *
 * - Auth: `?api_key=` on every call; a wrong or missing key answers 403 `{ "ok": false, "error": "access denied" }`.
 * - `POST /api/orders` takes a JSON order: `external_id` (our key of the order: the template sends the lead's delivery key), `customer: { name, phone, email }`,
 *   `country`, `address: { city, street, zip }`, `comment`, `extra: { … }` (any fields: the
 *   webmaster, click ids, UTM) and `goods: [{ product_id, count, price }]` — `external_id`,
 *   `customer.name`, `customer.phone` and at least one product with all three fields required.
 *   Success: `{ "ok": true, "order_id": 5001 }`; refusals: 400 `{ "ok": false, "error": "…" }`,
 *   409 for an `external_id` sent before (with its `order_id`).
 * - `POST /api/orders/update` (an upsell): `{ order_id, goods: [...], comment }` replaces the
 *   order's goods with the list given (the order as it is now) and answers `{ "ok": true, "order_id", "total" }`; 404 for an unknown order, 409
 *   for one already cancelled or trashed.
 * - `GET /api/orders/status?ids=5001,5002` (up to 100) answers
 *   `{ "ok": true, "orders": [{ "order_id", "external_id", "status", "comment", "updated_at" }] }`;
 *   statuses: new, processing (wait), postponed (hold), confirmed (approve), cancelled,
 *   returned (an approved order sent back: cancel), spam (trash).
 * - Orders move on their own, one step every `stepMs`, as the phone's last digit says
 *   (`sandbox.ts`; 4: confirmed, then returned). No postbacks: the CRM is asked.
 */
import express from 'express';
import { digitsOf, fateOf, fieldsOf, Lifecycle, listen, text, type SandboxStage } from './sandbox.ts';

export interface ClassicCrmOptions {
  apiKey: string;
  stepMs?: number;
}

export interface CrmGoods {
  product_id: string;
  count: number;
  price: number;
}

export interface ClassicCrmOrder {
  order_id: number;
  external_id: string;
  customer: { name: string; phone: string; email?: string };
  country: string;
  extra: Record<string, unknown>;
  goods: CrmGoods[];
  comments: string[];
  status: 'new' | 'processing' | 'postponed' | 'confirmed' | 'cancelled' | 'returned' | 'spam';
  comment: string;
  updated_at: string;
}

export interface ClassicCrm {
  url: string;
  orders: Map<number, ClassicCrmOrder>;
  close(): Promise<void>;
}

function statusOf(order: ClassicCrmOrder, stage: SandboxStage): Pick<ClassicCrmOrder, 'status' | 'comment'> {
  switch (stage) {
    case 'wait':
      return { status: 'processing', comment: 'operator is calling' };
    case 'hold':
      return { status: 'postponed', comment: 'customer asked to deliver next month' };
    case 'approve':
      return { status: 'confirmed', comment: 'confirmed, ready to ship' };
    case 'cancel':
      // a cancel after confirmation is a parcel sent back
      return order.status === 'confirmed'
        ? { status: 'returned', comment: 'parcel refused at the post office' }
        : { status: 'cancelled', comment: 'customer refused on the phone' };
    default:
      return { status: 'spam', comment: 'fake order' };
  }
}

/** Reads `goods` as the CRM requires it; a message naming the field when it is not. */
function readGoods(value: unknown): CrmGoods[] | string {
  if (!Array.isArray(value) || value.length === 0) return 'goods: at least one product is required';
  const goods: CrmGoods[] = [];
  for (const [i, item] of value.entries()) {
    const row = fieldsOf(item);
    const product = text(row.product_id);
    const count = Number(row.count);
    const price = Number(row.price);
    if (product === '') return `goods[${i}].product_id is required`;
    if (!Number.isInteger(count) || count < 1) return `goods[${i}].count must be a whole number from 1`;
    if (!Number.isFinite(price) || price < 0 || text(row.price) === '') return `goods[${i}].price must be a number`;
    goods.push({ product_id: product, count, price });
  }
  return goods;
}

export async function startClassicCrm(port: number, options: ClassicCrmOptions, host = '127.0.0.1'): Promise<ClassicCrm> {
  const orders = new Map<number, ClassicCrmOrder>();
  let next = 5000;
  const lifecycle = new Lifecycle<ClassicCrmOrder>(options.stepMs ?? 20_000, (order, stage) => {
    Object.assign(order, statusOf(order, stage), { updated_at: new Date().toISOString() });
  });

  const app = express();
  app.disable('x-powered-by');
  app.use(express.json({ limit: '1mb' }));
  app.use('/api', (req, res, nextHandler) => {
    if (text(req.query.api_key) !== options.apiKey) {
      res.status(403).json({ ok: false, error: 'access denied' });
      return;
    }
    nextHandler();
  });

  app.post('/api/orders', (req, res) => {
    const body = fieldsOf(req.body);
    const customer = fieldsOf(body.customer);
    const refuse = (error: string) => res.status(400).json({ ok: false, error });
    const externalId = text(body.external_id);
    if (externalId === '') return refuse('external_id is required');
    if (text(customer.name) === '') return refuse('customer.name is required');
    const phone = digitsOf(customer.phone);
    if (phone.length < 7 || phone.length > 15) return refuse('customer.phone must have 7 to 15 digits');
    const goods = readGoods(body.goods);
    if (typeof goods === 'string') return refuse(goods);
    const known = [...orders.values()].find((o) => o.external_id === externalId);
    if (known)
      return res.status(409).json({ ok: false, error: `an order with external_id ${externalId} exists`, order_id: known.order_id });
    const order: ClassicCrmOrder = {
      order_id: ++next,
      external_id: externalId,
      customer: { name: text(customer.name), phone, email: text(customer.email) || undefined },
      country: text(body.country).toUpperCase(),
      extra: fieldsOf(body.extra),
      goods,
      comments: text(body.comment) ? [text(body.comment)] : [],
      status: 'new',
      comment: '',
      updated_at: new Date().toISOString(),
    };
    orders.set(order.order_id, order);
    lifecycle.start(order, fateOf(phone, { returns: true }));
    res.json({ ok: true, order_id: order.order_id });
  });

  app.post('/api/orders/update', (req, res) => {
    const body = fieldsOf(req.body);
    const order = orders.get(Number(body.order_id));
    if (!order) return res.status(404).json({ ok: false, error: `order ${text(body.order_id)} not found` });
    if (['cancelled', 'returned', 'spam'].includes(order.status))
      return res.status(409).json({ ok: false, error: `order ${order.order_id} is closed (${order.status})` });
    const goods = readGoods(body.goods);
    if (typeof goods === 'string') return res.status(400).json({ ok: false, error: goods });
    // the goods as they are now: an upsell sends the whole list with its new counts
    order.goods = goods;
    if (text(body.comment)) order.comments.push(text(body.comment));
    order.updated_at = new Date().toISOString();
    res.json({ ok: true, order_id: order.order_id, total: order.goods.reduce((sum, g) => sum + g.count * g.price, 0) });
  });

  app.get('/api/orders/status', (req, res) => {
    const ids = text(req.query.ids)
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    if (ids.length === 0 || ids.length > 100) return res.status(400).json({ ok: false, error: 'ids: give 1 to 100 order ids' });
    const found = ids.map((id) => orders.get(Number(id))).filter((o): o is ClassicCrmOrder => o !== undefined);
    res.json({
      ok: true,
      orders: found.map((o) => ({
        order_id: o.order_id,
        external_id: o.external_id,
        status: o.status,
        comment: o.comment,
        updated_at: o.updated_at,
      })),
    });
  });

  const server = await listen(app, port, host, () => lifecycle.close());
  return { url: server.url, orders, close: server.close };
}
