/**
 * Lead intake and leads: `POST /api/leads`, `GET /api/leads`, `GET|PATCH /api/leads/:id`,
 * `POST /api/leads/:id/stage`, `POST /api/leads/:id/deliver`, `POST /api/leads/:id/resend` and
 * `POST /api/leads/resend` (by filter).
 */
import { Router, type Request, type RequestHandler } from 'express';
import { isStage } from '../../core/domain/lead.ts';
import { DomainError } from '../../core/domain/errors.ts';
import type { LeadQuery } from '../../core/api.ts';
import type { IntakeService } from '../services/intake.ts';
import type { LeadService } from '../services/leads.ts';
import type { ResendService } from '../services/resend.ts';
import { isDeliveryState } from '../../core/domain/delivery.ts';
import { actorOf, oneText, timeOrNone, wholeOrNone } from './params.ts';
import { answerJson } from './machine-answer.ts';

/**
 * The lead list's filters from a query string (`GET /api/leads`, the CSV export).
 * @throws DomainError `invalid_field` naming the parameter that is wrong.
 */
export function leadQueryOf(q: Request['query']): LeadQuery {
  const stage = oneText(q.stage, 'stage');
  if (stage !== undefined && !isStage(stage)) throw new DomainError('invalid_field', 'is not a stage', { field: 'stage' });
  const delivery = oneText(q.delivery, 'delivery');
  if (delivery !== undefined && !isDeliveryState(delivery)) {
    throw new DomainError('invalid_field', 'is not a delivery state (queued, retrying, failed, delivered)', { field: 'delivery' });
  }
  const limit = wholeOrNone(q.limit, 'limit');
  // a page larger than the list gives (500) is given at that size, as before
  if (limit === 0) throw new DomainError('invalid_field', 'must be a whole number from 1', { field: 'limit' });
  const query: LeadQuery = {
    q: oneText(q.q, 'q'),
    stage,
    delivery,
    integration: oneText(q.integration, 'integration'),
    offer: oneText(q.offer, 'offer'),
    source: oneText(q.source, 'source'),
    webmaster: oneText(q.webmaster, 'webmaster'),
    from: timeOrNone(q.from, 'from'),
    to: timeOrNone(q.to, 'to'),
    cursor: oneText(q.cursor, 'cursor'),
    before: wholeOrNone(q.before, 'before'),
    limit,
  };
  if (query.q !== undefined && query.q.length > 200)
    throw new DomainError('invalid_field', 'is longer than 200 characters', { field: 'q' });
  if (query.from && query.to && query.from >= query.to) throw new DomainError('invalid_field', 'must be after "from"', { field: 'to' });
  return Object.fromEntries(Object.entries(query).filter(([, value]) => value !== undefined)) as LeadQuery;
}

/** Where {@link intakeKeyOutOfUrl} leaves a key it took out of the query (in `res.locals`). */
const QUERY_KEY = 'intakeKeyFromQuery';

/**
 * Takes an `api_key` query parameter out of the request's URL before anything else sees it (logs,
 * error reports, anything that records `req.url` or `req.originalUrl`): networks that can only add
 * a query parameter send their intake key that way, and a key in a log is a leaked key. Mounted
 * first, for every route; only the intake reads what it took.
 */
export const intakeKeyOutOfUrl: RequestHandler = (req, res, next) => {
  const at = req.url.indexOf('?');
  if (at >= 0 && /(^|&)api_key=/.test(req.url.slice(at + 1))) {
    const params = new URLSearchParams(req.url.slice(at + 1));
    const key = params.get('api_key');
    params.delete('api_key');
    const rest = params.toString();
    req.url = req.url.slice(0, at) + (rest ? `?${rest}` : '');
    req.originalUrl = req.url;
    if (key) res.locals[QUERY_KEY] = key;
  }
  next();
};

/** The intake key: the `X-Api-Key` header, else the `api_key` query parameter. */
function intakeKey(req: Request, locals: Record<string, unknown>): string | undefined {
  const header = req.get('x-api-key');
  if (header) return header;
  const query = locals[QUERY_KEY];
  return typeof query === 'string' ? query : undefined;
}

/** The lead the URL names (`/api/leads/:id`). */
const leadId = (req: Request) => wholeOrNone(req.params.id, 'id') as number;

export function leadRoutes(intake: IntakeService, leads: LeadService, resends: ResendService): Router {
  const router = Router();

  /**
   * A lead, posted with its source's intake key (header or query parameter) and, optionally, an
   * `Idempotency-Key` header; a repeat is answered as the original was, with `Idempotent-Replayed: true`.
   */
  router.post('/api/leads', async (req, res) => {
    const body = req.body as Record<string, unknown> | undefined;
    // a key sent as a form field must not become one of the lead's fields (its `meta`)
    if (body && typeof body === 'object' && Object.hasOwn(body, 'api_key')) delete body.api_key;
    const result = await intake.accept(body, intakeKey(req, res.locals), req.get('idempotency-key'));
    if (result.repeat) res.set('Idempotent-Replayed', 'true');
    answerJson(res, result.status, result.body);
  });

  router.get('/api/leads', async (req, res) => {
    res.json(await leads.list(leadQueryOf(req.query)));
  });

  /** Resends every lead still new that the filter selects (its delivery failed, by default); answers how many were queued. */
  router.post('/api/leads/resend', async (req, res) => {
    res.json(await resends.resendMany(req.body, actorOf(res)));
  });

  router.get('/api/leads/:id', async (req, res) => {
    res.json(await leads.page(leadId(req)));
  });

  /** An upsell or a correction: changes the lead's fields and queues `lead.update` when the integration has one. */
  router.patch('/api/leads/:id', async (req, res) => {
    res.json(await leads.amend(leadId(req), req.body));
  });

  /** A stage set by hand: `{ stage, status?, reason?, comment?, payout? }`, under the stage rule. */
  router.post('/api/leads/:id/stage', async (req, res) => {
    res.json(await leads.setStageByHand(leadId(req), req.body, actorOf(res)));
  });

  /** The older name of a resend (below), audited as `lead.deliver` as before. */
  router.post('/api/leads/:id/deliver', async (req, res) => {
    res.status(202).json(await resends.resend(leadId(req), 'lead.deliver', actorOf(res)));
  });

  /** Puts a lead still `new` (its delivery failed, or waiting) back in the queue, attempts reset; 409 past `new`. */
  router.post('/api/leads/:id/resend', async (req, res) => {
    res.status(202).json(await resends.resend(leadId(req), 'lead.resend', actorOf(res)));
  });

  return router;
}
