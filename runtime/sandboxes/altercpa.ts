/**
 * Sandbox target: a network running on AlterCPA, as its agency ("external source") API answers —
 * the target of the `altercpa` template.
 *
 * - Every call is authenticated by `?id={user}-{key}` in the URL (a POST too); a wrong one answers
 *   `{"status":"error","error":"key"}`. Every answer is HTTP 200 with JSON: success and failure are
 *   told by `status`, `ok` or `error`, as AlterCPA does.
 * - `POST /api/ext/add.json?id={user}-{key}` takes a lead as a form or as JSON: `id` (the order id
 *   on the sender's side, or `auto`), `offer`, `phone`, `ip` required; `wm`, `flow`, `name`,
 *   `email`, `ua`, `country`, `us`/`uc`/`un`/`ut`/`um` (UTM), `comm`, address and goods fields
 *   optional. It answers `{"status":"ok","id":100001}` — the order's id in the network — or
 *   `{"status":"error","error":"offer"}` (the code names the field: `offer`, `phone`, `ip`, `id`).
 *   The same `id` sent again answers the order already made (a sender may retry after a timeout).
 * - `GET|POST /api/ext/list.json?id={user}-{key}&ids=100001,100002` (the network's ids, or
 *   `oid=` with the sender's ids; up to 500) answers a JSON array, one row per order found:
 *   `{ id, uid, stage, status, reason, comment, time }` — `stage` is wait, hold, approve, cancel
 *   or trash; `status` AlterCPA's numeric status code; `reason` the cancel reason code.
 * - Orders move on their own, one step every `stepMs`, the way the phone's last digit says (see
 *   `sandbox.ts`). With `postbackUrl` set, each change is also sent there as
 *   `GET {postbackUrl}&uid=…&id=…&stage=…&status=…&reason=…&comment=…`.
 */
import express from 'express';
import { digitsOf, fateOf, fieldsOf, Lifecycle, listen, callPostback, text, type SandboxStage } from './sandbox.ts';

export interface AlterCpaOptions {
  user: string;
  key: string;
  /** Offer ids the network has; empty or missing: any offer id is taken. */
  offers?: string[];
  /** Time between two status steps of an order. */
  stepMs?: number;
  postbackUrl?: string;
}

/** An order as the sandbox keeps it. */
export interface AlterCpaOrder {
  id: number;
  /** The sender's order id. */
  uid: string;
  offer: string;
  wm: string;
  phone: string;
  ip: string;
  fields: Record<string, string>;
  stage: SandboxStage;
  status: number;
  reason: number;
  comment: string;
  time: number;
}

export interface AlterCpa {
  url: string;
  orders: Map<number, AlterCpaOrder>;
  setPostbackUrl(url: string | undefined): void;
  close(): Promise<void>;
}

/** AlterCPA's status codes and cancel reasons, for the stages the sandbox moves orders to. */
const STATUS: Record<SandboxStage, { status: number; reason: number; comment: string }> = {
  wait: { status: 2, reason: 0, comment: 'processing by the call centre' },
  hold: { status: 4, reason: 0, comment: 'customer asked to call back next week' },
  approve: { status: 6, reason: 0, comment: 'confirmed, packing' },
  cancel: { status: 5, reason: 2, comment: 'customer changed their mind' },
  trash: { status: 12, reason: 6, comment: 'wrong number' },
};

const OPTIONAL = [
  'wm',
  'flow',
  'name',
  'email',
  'ua',
  'country',
  'us',
  'uc',
  'un',
  'ut',
  'um',
  'comm',
  'index',
  'addr',
  'area',
  'city',
  'street',
  'currency',
  'base',
  'count',
];

export async function startAlterCpa(port: number, options: AlterCpaOptions, host = '127.0.0.1'): Promise<AlterCpa> {
  const orders = new Map<number, AlterCpaOrder>();
  const byUid = new Map<string, AlterCpaOrder>();
  let postbackUrl = options.postbackUrl;
  let next = 100000;

  const lifecycle = new Lifecycle<AlterCpaOrder>(options.stepMs ?? 20_000, (order, stage) => {
    Object.assign(order, { stage, ...STATUS[stage], time: Math.floor(Date.now() / 1000) });
    if (!postbackUrl) return;
    const url = new URL(postbackUrl);
    for (const [name, value] of Object.entries({
      uid: order.uid,
      id: order.id,
      stage,
      status: order.status,
      reason: order.reason,
      comment: order.comment,
    })) {
      url.searchParams.set(name, String(value));
    }
    void callPostback(url.href);
  });

  const app = express();
  app.disable('x-powered-by');
  app.use(express.json({ limit: '1mb' }));
  app.use(express.urlencoded({ extended: true, limit: '1mb' }));
  // authentication first: every function needs the {user}-{key} pair
  app.use('/api/ext', (req, res, nextHandler) => {
    if (text(req.query.id) !== `${options.user}-${options.key}`) {
      res.json({ status: 'error', error: 'key' });
      return;
    }
    nextHandler();
  });

  app.post('/api/ext/add.json', (req, res) => {
    const body = fieldsOf(req.body);
    const error = (code: string) => res.json({ status: 'error', error: code });
    const uid = text(body.id);
    const offer = text(body.offer);
    const phone = digitsOf(body.phone);
    const ip = text(body.ip);
    if (uid === '') return error('id');
    if (offer === '' || (options.offers?.length && !options.offers.includes(offer))) return error('offer');
    if (phone.length < 7 || phone.length > 15) return error('phone');
    if (!/^[\d.:a-fA-F]+$/.test(ip)) return error('ip');
    const known = uid === 'auto' ? undefined : byUid.get(uid);
    if (known) return res.json({ status: 'ok', id: known.id });
    const fields: Record<string, string> = {};
    for (const name of OPTIONAL) if (text(body[name]) !== '') fields[name] = text(body[name]);
    const order: AlterCpaOrder = {
      id: ++next,
      uid: uid === 'auto' ? '' : uid,
      offer,
      wm: fields.wm ?? '',
      phone,
      ip,
      fields,
      stage: 'wait',
      ...STATUS.wait,
      status: 1,
      comment: '',
      time: Math.floor(Date.now() / 1000),
    };
    orders.set(order.id, order);
    if (order.uid) byUid.set(order.uid, order);
    lifecycle.start(order, fateOf(phone));
    res.json({ status: 'ok', id: order.id });
  });

  const list: express.RequestHandler = (req, res) => {
    const input = { ...fieldsOf(req.query), ...fieldsOf(req.body) };
    const ids = text(input.ids)
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const oids = text(input.oid)
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    if (ids.length === 0 && oids.length === 0) return res.json({ status: 'error', error: 'ids' });
    if (ids.length + oids.length > 500) return res.json({ status: 'error', error: 'limit' });
    const found = [...ids.map((id) => orders.get(Number(id))), ...oids.map((uid) => byUid.get(uid))].filter(
      (o): o is AlterCpaOrder => o !== undefined,
    );
    res.json(
      found.map((o) => ({ id: o.id, uid: o.uid, stage: o.stage, status: o.status, reason: o.reason, comment: o.comment, time: o.time })),
    );
  };
  app.get('/api/ext/list.json', list);
  app.post('/api/ext/list.json', list);
  app.use('/api/ext', (_req, res) => {
    res.json({ status: 'error', error: 'func' });
  });

  const server = await listen(app, port, host, () => lifecycle.close());
  return {
    url: server.url,
    orders,
    setPostbackUrl(url) {
      postbackUrl = url;
    },
    close: server.close,
  };
}
