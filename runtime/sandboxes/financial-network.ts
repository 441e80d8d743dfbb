/**
 * Sandbox target: a financial (trading, crypto) affiliate network — the target of the
 * `financial-network` template. It takes sign-ups for a landing page and an offer group, and
 * tells about them only by postback: the integrator pastes our postback URL, with its "tail" of
 * the network's macros, into the network's settings.
 *
 * - Auth: the `Api-Key` header; wrong or missing: 401 `{ "status": false, "error": "invalid api key" }`.
 * - `POST /api/v2/leads` takes JSON: `first_name`, `email`, `phone`, `country`, `ip`,
 *   `landing` (the offer's site URL), `offer_group` and `click_id` (our lead id, echoed in
 *   postbacks) required; `last_name`, `language`, `sub1`…`sub5` optional. Success:
 *   `{ "status": true, "lead_id": "FN…", "redirect": "…" }`; refusals: 400
 *   `{ "status": false, "error": "…" }`, 409 for an email signed up before.
 * - Each change is sent to `postbackUrl` (set in the network: ours, with macros) as a GET with
 *   `{click_id}`, `{lead_id}`, `{status}`, `{payout}`, `{currency}`, `{comment}` filled in.
 *   Statuses: lead (wait), callback (hold), ftd — a first deposit (approve), rejected (cancel),
 *   fake (trash).
 * - `POST /api/v2/settings/postback` `{ "url": "…" }` sets that URL, as the network's settings
 *   page does (the integrator pastes ours there).
 * - Leads move on their own, one step every `stepMs`, as the phone's last digit says (`sandbox.ts`).
 */
import express from 'express';
import { callPostback, digitsOf, fateOf, fieldsOf, fillMacros, Lifecycle, listen, text, type SandboxStage } from './sandbox.ts';

export interface FinancialNetworkOptions {
  apiKey: string;
  /** Where the network sends postbacks: a URL with macros such as `{click_id}` and `{status}`. */
  postbackUrl?: string;
  stepMs?: number;
  /** What a first deposit pays. */
  payout?: number;
}

export interface FinancialSignup {
  lead_id: string;
  click_id: string;
  email: string;
  phone: string;
  landing: string;
  offer_group: string;
  fields: Record<string, string>;
  status: 'lead' | 'callback' | 'ftd' | 'rejected' | 'fake';
  comment: string;
  payout: number;
}

export interface FinancialNetwork {
  url: string;
  leads: Map<string, FinancialSignup>;
  /** Every postback the network sent (the filled-in URL). */
  postbacks: string[];
  setPostbackUrl(url: string | undefined): void;
  close(): Promise<void>;
}

const STATUS: Record<SandboxStage, { status: FinancialSignup['status']; comment: string }> = {
  wait: { status: 'lead', comment: 'registered' },
  hold: { status: 'callback', comment: 'asked to be called back' },
  approve: { status: 'ftd', comment: 'first deposit' },
  cancel: { status: 'rejected', comment: 'not interested' },
  trash: { status: 'fake', comment: 'fake details' },
};

export async function startFinancialNetwork(port: number, options: FinancialNetworkOptions, host = '127.0.0.1'): Promise<FinancialNetwork> {
  const leads = new Map<string, FinancialSignup>();
  const postbacks: string[] = [];
  let postbackUrl = options.postbackUrl;
  let next = 70000;
  const lifecycle = new Lifecycle<FinancialSignup>(options.stepMs ?? 20_000, (lead, stage) => {
    Object.assign(lead, STATUS[stage], { payout: stage === 'approve' ? (options.payout ?? 250) : 0 });
    if (!postbackUrl) return;
    const url = fillMacros(postbackUrl, {
      click_id: lead.click_id,
      lead_id: lead.lead_id,
      status: lead.status,
      payout: lead.payout,
      currency: 'USD',
      comment: lead.comment,
    });
    postbacks.push(url);
    void callPostback(url);
  });

  const app = express();
  app.disable('x-powered-by');
  app.use(express.json({ limit: '1mb' }));
  app.use('/api/v2', (req, res, nextHandler) => {
    if (req.get('api-key') !== options.apiKey) {
      res.status(401).json({ status: false, error: 'invalid api key' });
      return;
    }
    nextHandler();
  });

  app.post('/api/v2/leads', (req, res) => {
    const body = fieldsOf(req.body);
    const refuse = (error: string, status = 400) => res.status(status).json({ status: false, error });
    for (const field of ['first_name', 'email', 'phone', 'country', 'ip', 'landing', 'offer_group', 'click_id']) {
      if (text(body[field]) === '') return refuse(`${field} is required`);
    }
    const email = text(body.email).toLowerCase();
    const phone = digitsOf(body.phone);
    if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)) return refuse('email is not valid');
    if (phone.length < 7 || phone.length > 15) return refuse('phone must have 7 to 15 digits');
    if (!/^https?:\/\/\S+$/.test(text(body.landing))) return refuse("landing must be the URL of the offer's site");
    if ([...leads.values()].some((l) => l.email === email)) return refuse('this email signed up before', 409);
    const fields: Record<string, string> = {};
    for (const name of ['first_name', 'last_name', 'country', 'ip', 'language', 'sub1', 'sub2', 'sub3', 'sub4', 'sub5'])
      if (text(body[name]) !== '') fields[name] = text(body[name]);
    const lead: FinancialSignup = {
      lead_id: `FN${++next}`,
      click_id: text(body.click_id),
      email,
      phone,
      landing: text(body.landing),
      offer_group: text(body.offer_group),
      fields,
      ...STATUS.wait,
      payout: 0,
    };
    leads.set(lead.lead_id, lead);
    lifecycle.start(lead, fateOf(phone));
    res.json({
      status: true,
      lead_id: lead.lead_id,
      redirect: `${lead.landing}${lead.landing.includes('?') ? '&' : '?'}lead=${lead.lead_id}`,
    });
  });

  // the network's settings page, as an API: where its postbacks go
  app.post('/api/v2/settings/postback', (req, res) => {
    const url = text(fieldsOf(req.body).url);
    if (!/^https?:\/\/\S+$/.test(url)) return res.status(400).json({ status: false, error: 'url must be an http(s) URL' });
    postbackUrl = url;
    res.json({ status: true, url });
  });

  const server = await listen(app, port, host, () => lifecycle.close());
  return {
    url: server.url,
    leads,
    postbacks,
    setPostbackUrl(url) {
      postbackUrl = url;
    },
    close: server.close,
  };
}
