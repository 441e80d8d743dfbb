/**
 * Sandbox target: an affiliate network taking leads by API — the target of the
 * `affiliate-network` template. The offer and the stream (a.k.a. flow) on the network come from
 * the offer's parameters on our side.
 *
 * - Auth: the `X-Api-Key` header on every call; a wrong or missing key answers 401
 *   `{ "success": false, "error": { "code": "unauthorized", "message": "invalid API key" } }`.
 * - `POST /api/v1/leads` takes JSON (or a form): `offer_id`, `stream_id`, `name`, `phone`,
 *   `country` required; `ip`, `ua`, `email`, `click_id`, `sub1`…`sub5` optional. Success: 201
 *   `{ "success": true, "data": { "lead_id": "af_…", "status": "pending" } }`. Refusals: 422
 *   `{ "success": false, "error": { "code": "validation", "field": "phone", "message": "…" } }`,
 *   `code: "offer"` for an offer/stream pair the network does not have, 409 `code: "duplicate"`
 *   for the same phone on the same offer again. An `Idempotency-Key` header seen before answers the
 *   lead it made, 201 again, whatever the body (a sender repeating a send after a timeout or a crash).
 * - `GET /api/v1/leads/statuses?ids=af_1,af_2` (up to 100) answers
 *   `{ "success": true, "data": [{ "lead_id", "status", "comment", "payout", "updated_at" }] }`;
 *   statuses: pending, hold, approved, rejected, trash.
 * - Leads move on their own, one step every `stepMs`, as the phone's last digit says (`sandbox.ts`).
 *   No postbacks: the network is asked.
 */
import express from 'express';
import { digitsOf, fateOf, fieldsOf, Lifecycle, listen, text, type SandboxStage } from './sandbox.ts';

export interface AffiliateNetworkOptions {
  apiKey: string;
  /** Offer id → its stream ids. Missing: any non-empty pair is taken. */
  offers?: Record<string, string[]>;
  stepMs?: number;
  /** What an approved lead pays. */
  payout?: number;
}

export interface AffiliateLead {
  lead_id: string;
  offer_id: string;
  stream_id: string;
  phone: string;
  fields: Record<string, string>;
  status: 'pending' | 'hold' | 'approved' | 'rejected' | 'trash';
  comment: string;
  payout: number;
  updated_at: string;
}

export interface AffiliateNetwork {
  url: string;
  leads: Map<string, AffiliateLead>;
  close(): Promise<void>;
}

const STATUS: Record<SandboxStage, { status: AffiliateLead['status']; comment: string }> = {
  wait: { status: 'pending', comment: '' },
  hold: { status: 'hold', comment: 'advertiser checks the order' },
  approve: { status: 'approved', comment: 'confirmed by the advertiser' },
  cancel: { status: 'rejected', comment: 'customer refused' },
  trash: { status: 'trash', comment: 'invalid contact data' },
};

const OPTIONAL = ['ip', 'ua', 'email', 'click_id', 'sub1', 'sub2', 'sub3', 'sub4', 'sub5', 'comment'];

export async function startAffiliateNetwork(port: number, options: AffiliateNetworkOptions, host = '127.0.0.1'): Promise<AffiliateNetwork> {
  const leads = new Map<string, AffiliateLead>();
  /** `Idempotency-Key` → the lead that send made. */
  const byKey = new Map<string, AffiliateLead>();
  let next = 5000;
  const payout = options.payout ?? 12;
  const lifecycle = new Lifecycle<AffiliateLead>(options.stepMs ?? 20_000, (lead, stage) => {
    Object.assign(lead, STATUS[stage], { payout: stage === 'approve' ? payout : 0, updated_at: new Date().toISOString() });
  });

  const app = express();
  app.disable('x-powered-by');
  app.use(express.json({ limit: '1mb' }));
  app.use(express.urlencoded({ extended: true, limit: '1mb' }));
  app.use('/api/v1', (req, res, nextHandler) => {
    if (req.get('x-api-key') !== options.apiKey) {
      res.status(401).json({ success: false, error: { code: 'unauthorized', message: 'invalid API key' } });
      return;
    }
    nextHandler();
  });

  app.post('/api/v1/leads', (req, res) => {
    const body = fieldsOf(req.body);
    const refuse = (status: number, code: string, message: string, field?: string) =>
      res.status(status).json({ success: false, error: { code, field, message } });
    const key = text(req.get('idempotency-key'));
    const made = key === '' ? undefined : byKey.get(key);
    if (made) return res.status(201).json({ success: true, data: { lead_id: made.lead_id, status: made.status } });
    for (const field of ['offer_id', 'stream_id', 'name', 'phone', 'country']) {
      if (text(body[field]) === '') return refuse(422, 'validation', `${field} is required`, field);
    }
    const offerId = text(body.offer_id);
    const streamId = text(body.stream_id);
    const phone = digitsOf(body.phone);
    if (phone.length < 7 || phone.length > 15) return refuse(422, 'validation', 'phone must have 7 to 15 digits', 'phone');
    if (!/^[A-Za-z]{2}$/.test(text(body.country))) return refuse(422, 'validation', 'country must be a two-letter code', 'country');
    if (options.offers && !(options.offers[offerId] ?? []).includes(streamId))
      return refuse(422, 'offer', `no stream ${streamId} on offer ${offerId}`, 'stream_id');
    if ([...leads.values()].some((l) => l.phone === phone && l.offer_id === offerId))
      return refuse(409, 'duplicate', 'this phone already has a lead on this offer');
    const fields: Record<string, string> = { name: text(body.name), country: text(body.country).toUpperCase() };
    for (const name of OPTIONAL) if (text(body[name]) !== '') fields[name] = text(body[name]);
    const lead: AffiliateLead = {
      lead_id: `af_${(++next).toString(36)}`,
      offer_id: offerId,
      stream_id: streamId,
      phone,
      fields,
      ...STATUS.wait,
      payout: 0,
      updated_at: new Date().toISOString(),
    };
    leads.set(lead.lead_id, lead);
    if (key !== '') byKey.set(key, lead);
    lifecycle.start(lead, fateOf(phone));
    res.status(201).json({ success: true, data: { lead_id: lead.lead_id, status: lead.status } });
  });

  app.get('/api/v1/leads/statuses', (req, res) => {
    const ids = text(req.query.ids)
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    if (ids.length === 0)
      return res.status(422).json({ success: false, error: { code: 'validation', field: 'ids', message: 'ids is required' } });
    if (ids.length > 100)
      return res.status(422).json({ success: false, error: { code: 'validation', field: 'ids', message: 'at most 100 ids' } });
    const found = ids.map((id) => leads.get(id)).filter((l): l is AffiliateLead => l !== undefined);
    res.json({
      success: true,
      data: found.map(({ lead_id, status, comment, payout: paid, updated_at }) => ({ lead_id, status, comment, payout: paid, updated_at })),
    });
  });

  const server = await listen(app, port, host, () => lifecycle.close());
  return { url: server.url, leads, close: server.close };
}
