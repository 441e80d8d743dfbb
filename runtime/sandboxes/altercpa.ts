/**
 * Sandbox target: a network running on AlterCPA, as its agency ("external source") API answers in
 * real use — the target of the `altercpa` template.
 *
 * - Every call is authenticated by `?id={user}-{key}` in the URL (a POST too); a wrong one answers
 *   `{"status":"error","error":"key"}`. Every answer is HTTP 200 with JSON: success and failure are
 *   told by `status` and `error`, as AlterCPA does.
 * - `POST /api/ext/add.json?id={user}-{key}` takes a lead as a form or as JSON: `id` (the order id
 *   on the sender's side), `offer`, `phone`, `ip` required; `wm`, `flow`, `name`, `email`, `ua`,
 *   `country`, `us`/`uc`/`un`/`ut`/`um` (UTM), `comm`, address and goods fields optional. It
 *   answers `{"status":"ok","uid":100001}` — the order's id in the network is `uid` — or a refusal
 *   `{"status":"error","error":CODE}`: `id`, `offer`, `phone`, `ip` (that field is missing or
 *   wrong), `nooffer` (the network has no such offer), `duplicate` (this `id` was sent before: a
 *   sender that retries after a lost answer is refused, not given the order again).
 * - `GET|POST /api/ext/list.json?id={user}-{key}&ids=100001,100002` (the network's uids, or `oid=`
 *   with the sender's ids; up to 500) answers an object keyed by uid, one entry per order found:
 *   `{"100001": { uid, id, stage, status, reason, comment, time }}` — `id` the sender's id, `stage`
 *   wait, hold, approve, cancel or trash, `status` AlterCPA's numeric status code, `reason` the
 *   cancel reason code; none found: `[]` (PHP's empty array).
 * - Orders move on their own, one step every `stepMs`, the way the phone's last digit says (see
 *   `sandbox.ts`). With `postbackUrl` set, each change is also sent there as
 *   `GET {postbackUrl}&uid=…&id=…&stage=…&status=…&reason=…&comment=…` (`uid` the network's id,
 *   `id` the sender's).
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
  /** The order's id in the network. */
  uid: number;
  /** The sender's order id. */
  id: string;
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
  /** By uid. */
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
  const bySenderId = new Map<string, AlterCpaOrder>();
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
    const id = text(body.id);
    const offer = text(body.offer);
    const phone = digitsOf(body.phone);
    const ip = text(body.ip);
    if (id === '') return error('id');
    if (offer === '') return error('offer');
    if (options.offers?.length && !options.offers.includes(offer)) return error('nooffer');
    if (phone.length < 7 || phone.length > 15) return error('phone');
    if (!/^[\d.:a-fA-F]+$/.test(ip)) return error('ip');
    if (bySenderId.has(id)) return error('duplicate');
    const fields: Record<string, string> = {};
    for (const name of OPTIONAL) if (text(body[name]) !== '') fields[name] = text(body[name]);
    const order: AlterCpaOrder = {
      uid: ++next,
      id,
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
    orders.set(order.uid, order);
    bySenderId.set(order.id, order);
    lifecycle.start(order, fateOf(phone));
    res.json({ status: 'ok', uid: order.uid });
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
    const found = [...ids.map((uid) => orders.get(Number(uid))), ...oids.map((id) => bySenderId.get(id))].filter(
      (o): o is AlterCpaOrder => o !== undefined,
    );
    if (found.length === 0) return res.json([]);
    res.json(
      Object.fromEntries(
        found.map((o) => [
          String(o.uid),
          { uid: o.uid, id: o.id, stage: o.stage, status: o.status, reason: o.reason, comment: o.comment, time: o.time },
        ]),
      ),
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
