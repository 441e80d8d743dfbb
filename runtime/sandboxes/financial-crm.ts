/**
 * Sandbox target: a financial (trading) CRM — the target of the `financial-crm` template. It
 * wants a session token, registers a sign-up while the caller waits and answers the autologin
 * URL the buyer is sent to, and lists its leads by date range, page by page.
 *
 * - `POST /api/v1/auth/login` `{ "username", "password" }` → `{ "token", "expires_in" }` (seconds);
 *   wrong credentials: 401 `{ "error": "invalid credentials" }`. Every other call needs
 *   `Authorization: Bearer <token>`; a missing, unknown or expired one answers 401
 *   `{ "error": "token expired or invalid" }`.
 * - `POST /api/v1/leads/register` takes JSON: `firstName`, `email`, `phone`, `country`, `ip`
 *   required; `lastName`, `language`, `campaign`, `clickId` (our id), `affiliate` optional. It
 *   always answers HTTP 200, success or not — the body says which:
 *   `{ "result": "success", "data": { "leadId": "FC1001", "autologinUrl": "…" } }` or
 *   `{ "result": "error", "message": "email: not a valid address" }`.
 * - `GET /api/v1/leads?from=…&to=…&page=1&limit=50` (`limit` capped to `pageSize`): the leads whose status changed in the window
 *   (`Y-m-d H:i:s` in UTC, ISO 8601 or epoch seconds), oldest first:
 *   `{ "result": "success", "data": { "leads": [{ "leadId", "clickId", "email", "status",
 *   "comment", "isDeposit", "updatedAt" }], "page", "totalPages", "nextPage" } }` — `nextPage`
 *   is null on the last page. Statuses: New (wait), Call Back (hold), Deposit (approve),
 *   Not Interested (cancel), Fake (trash).
 * - `GET /autologin/:code` is the page the autologin URL opens.
 * - Leads move on their own, one step every `stepMs`, as the phone's last digit says (`sandbox.ts`).
 */
import { randomBytes } from 'node:crypto';
import express from 'express';
import { digitsOf, fateOf, fieldsOf, Lifecycle, listen, parseTime, text, ymdHis, type SandboxStage } from './sandbox.ts';

export interface FinancialCrmOptions {
  username: string;
  password: string;
  /** How long a session token lives. */
  tokenTtlSeconds?: number;
  stepMs?: number;
  /** Leads per page at most (the CRM caps `limit` to it), and when the caller gives no `limit`. */
  pageSize?: number;
}

export interface FinancialCrmLead {
  leadId: string;
  clickId: string;
  email: string;
  phone: string;
  fields: Record<string, string>;
  status: 'New' | 'Call Back' | 'Deposit' | 'Not Interested' | 'Fake';
  comment: string;
  isDeposit: boolean;
  updatedAt: number;
}

export interface FinancialCrm {
  url: string;
  leads: Map<string, FinancialCrmLead>;
  /** How many logins it answered with a token. */
  logins(): number;
  /** Ends every session, as a CRM restart would. */
  expireTokens(): void;
  close(): Promise<void>;
}

const STATUS: Record<SandboxStage, Pick<FinancialCrmLead, 'status' | 'comment' | 'isDeposit'>> = {
  wait: { status: 'New', comment: '', isDeposit: false },
  hold: { status: 'Call Back', comment: 'call back tomorrow', isDeposit: false },
  approve: { status: 'Deposit', comment: 'first deposit 250 USD', isDeposit: true },
  cancel: { status: 'Not Interested', comment: 'does not want to invest', isDeposit: false },
  trash: { status: 'Fake', comment: 'fake identity', isDeposit: false },
};

export async function startFinancialCrm(port: number, options: FinancialCrmOptions, host = '127.0.0.1'): Promise<FinancialCrm> {
  const leads = new Map<string, FinancialCrmLead>();
  const tokens = new Map<string, number>();
  let logins = 0;
  let next = 1000;
  let baseUrl = '';
  const ttl = options.tokenTtlSeconds ?? 3600;
  const lifecycle = new Lifecycle<FinancialCrmLead>(options.stepMs ?? 20_000, (lead, stage) => {
    Object.assign(lead, STATUS[stage], { updatedAt: Date.now() });
  });

  const app = express();
  app.disable('x-powered-by');
  app.use(express.json({ limit: '1mb' }));

  app.post('/api/v1/auth/login', (req, res) => {
    const body = fieldsOf(req.body);
    if (text(body.username) !== options.username || text(body.password) !== options.password) {
      res.status(401).json({ error: 'invalid credentials' });
      return;
    }
    const token = randomBytes(24).toString('hex');
    tokens.set(token, Date.now() + ttl * 1000);
    logins++;
    res.json({ token, expires_in: ttl });
  });
  app.use('/api/v1', (req, res, nextHandler) => {
    const token = /^Bearer (.+)$/.exec(req.get('authorization') ?? '')?.[1] ?? '';
    const until = tokens.get(token);
    if (until === undefined || until <= Date.now()) {
      tokens.delete(token);
      res.status(401).json({ error: 'token expired or invalid' });
      return;
    }
    nextHandler();
  });

  app.post('/api/v1/leads/register', (req, res) => {
    const body = fieldsOf(req.body);
    // this CRM answers 200 whatever happened: only the body tells an error
    const refuse = (message: string) => res.json({ result: 'error', message });
    for (const field of ['firstName', 'email', 'phone', 'country', 'ip'])
      if (text(body[field]) === '') return refuse(`${field}: is required`);
    const email = text(body.email).toLowerCase();
    const phone = digitsOf(body.phone);
    if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)) return refuse('email: not a valid address');
    if (phone.length < 7 || phone.length > 15) return refuse('phone: must have 7 to 15 digits');
    if (!/^[A-Za-z]{2}$/.test(text(body.country))) return refuse('country: must be a two-letter code');
    if ([...leads.values()].some((l) => l.email === email)) return refuse('email: already registered');
    const fields: Record<string, string> = {};
    for (const name of ['firstName', 'lastName', 'country', 'ip', 'language', 'campaign', 'affiliate'])
      if (text(body[name]) !== '') fields[name] = text(body[name]);
    const lead: FinancialCrmLead = {
      leadId: `FC${++next}`,
      clickId: text(body.clickId),
      email,
      phone,
      fields,
      ...STATUS.wait,
      updatedAt: Date.now(),
    };
    leads.set(lead.leadId, lead);
    lifecycle.start(lead, fateOf(phone));
    res.json({ result: 'success', data: { leadId: lead.leadId, autologinUrl: `${baseUrl}/autologin/${randomBytes(12).toString('hex')}` } });
  });

  app.get('/api/v1/leads', (req, res) => {
    const from = parseTime(req.query.from);
    const to = parseTime(req.query.to);
    if (Number.isNaN(from) || Number.isNaN(to) || from > to) {
      res.json({ result: 'error', message: 'from, to: give a window such as 2024-05-01 00:00:00' });
      return;
    }
    const page = Math.max(1, Math.floor(Number(req.query.page) || 1));
    const most = options.pageSize ?? 50;
    const limit = Math.min(most, Math.max(1, Math.floor(Number(req.query.limit) || most)));
    // whole seconds, as the window's own format has them
    const inWindow = [...leads.values()]
      .filter((l) => Math.floor(l.updatedAt / 1000) * 1000 >= from && Math.floor(l.updatedAt / 1000) * 1000 <= to)
      .sort((a, b) => a.updatedAt - b.updatedAt);
    const totalPages = Math.max(1, Math.ceil(inWindow.length / limit));
    res.json({
      result: 'success',
      data: {
        leads: inWindow.slice((page - 1) * limit, page * limit).map((l) => ({
          leadId: l.leadId,
          clickId: l.clickId,
          email: l.email,
          status: l.status,
          comment: l.comment,
          isDeposit: l.isDeposit,
          updatedAt: ymdHis(new Date(l.updatedAt)),
        })),
        page,
        totalPages,
        nextPage: page < totalPages ? page + 1 : null,
      },
    });
  });

  app.get('/autologin/:code', (_req, res) => {
    res.type('html').send('<!doctype html><title>Trading platform</title><p>Welcome to your trading account.</p>');
  });

  const server = await listen(app, port, host, () => lifecycle.close());
  baseUrl = server.url;
  return {
    url: server.url,
    leads,
    logins: () => logins,
    expireTokens: () => tokens.clear(),
    close: server.close,
  };
}
