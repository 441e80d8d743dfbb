/**
 * The management API's answers and requests, as the runtime sends them and the editor reads them.
 * Declared once here; the runtime's services build these shapes and the editor's client types its
 * calls with them.
 */
import type { FlowEvent, Integration, Offer, Source, SourceKey, SourceKind } from './domain/config.ts';
import type { FlowDoc, FlowDraft, FlowVersion, StoredFlow } from './domain/flow.ts';
import type { FlowIssue } from './flow/validate.ts';
import type { Lead, Stage, StageChange } from './domain/lead.ts';
import type { Job } from './domain/job.ts';
import type { Execution, ExecutionState, HttpRecord } from './domain/execution.ts';
import type { FlowResponse } from './node/contract.ts';
import type { Readiness } from './readiness.ts';
import type { IntegrationRoutes, LeadHandoff } from './domain/routing.ts';
import type { AuditEntry } from './domain/audit.ts';
import type { DeliveryCounts, DeliveryState, LeadDelivery } from './domain/delivery.ts';
import type { Role, SessionUser } from './domain/user.ts';

/** An integration in an API answer. */
export interface IntegrationView extends Omit<Integration, 'secrets' | 'postbackToken' | 'previousToken'> {
  secrets: Record<string, { set: true }>;
  /** The URL to give the target for postbacks, token included. */
  postbackUrl: string;
  /** Whether it may be switched on, with every gap (see core/readiness.ts); the editor's checklist shows these. */
  readiness: Readiness;
  /** Its deliveries failed for good and those waiting for a retry, counted now. */
  deliveries: DeliveryCounts;
  /** Its circuit breaker, as this runtime process sees it (see {@link BreakerView}). */
  breaker?: BreakerView;
  /** What it takes, read from the offers' routes: offers whose new leads it gets, and per stage the offers whose leads it gets then. */
  routes: IntegrationRoutes;
}

/**
 * An integration's circuit breaker: `closed` (deliveries go), `open` (transient failures in a row
 * reached `threshold`: deliveries are held, queued and uncounted, until `nextProbeAt`), `half-open`
 * (one probe delivery under way; its success closes the breaker, a failure opens it again).
 * Also `GET /api/integrations/:id/breaker`.
 * @example { state: 'open', since: '2026-12-01T12:00:00.000Z', consecutiveFailures: 5, threshold: 5, nextProbeAt: '2026-12-01T12:00:30.000Z' }
 */
export interface BreakerView {
  state: 'closed' | 'open' | 'half-open';
  /** When it entered this state (or, closed and never opened, when the runtime started watching it). */
  since: string;
  /** Transient failures in a row, up to now (0 after a success). */
  consecutiveFailures: number;
  /** How many in a row open it. */
  threshold: number;
  /** When open: when the next probe may go. */
  nextProbeAt?: string;
}

/** What `POST /api/integrations/:id/postback-token/rotate` takes. */
export interface PostbackTokenRotateRequest {
  /** How long the old token keeps working, in minutes (0 to 10080, a week); 0 or unset: not at all. */
  graceMinutes?: number;
}

/** Its answer: the new postback URL, and until when the old one still works. */
export interface PostbackTokenRotation {
  postbackUrl: string;
  previousTokenUntil?: string;
}

/** A lead as `GET /api/leads/:id` shows it. */
export interface LeadView {
  lead: Lead;
  history: StageChange[];
  deliveries: Job[];
  /** Where its delivery stands (`failed`: given up, the lead stays `new` until resent); unset for a lead never queued. */
  delivery?: LeadDelivery;
  /** The integrations it was handed to at a stage beyond its own (a fulfilment CRM), with its external id at each. */
  handoffs?: LeadHandoff[];
}

/** A lead in `GET /api/leads`, with its delivery state (core/domain/delivery.ts) when it has one. */
/** A lead as the list shows it: with its delivery state and, when that is `failed`, why (the last attempt's error). */
export type LeadListItem = Lead & { delivery?: DeliveryState; deliveryError?: string };

/**
 * What `POST /api/leads/resend` takes: which leads still `new` to resend. `delivery` defaults to
 * `failed`; `createdFrom` (inclusive) and `createdTo` (exclusive) are ISO times.
 * @example { "integration": "crm", "delivery": "failed", "createdFrom": "2026-12-01T00:00:00Z" }
 */
export interface ResendFilter {
  integration?: string;
  offer?: string;
  delivery?: 'failed' | 'retrying' | 'queued';
  createdFrom?: string;
  createdTo?: string;
  /** The Leads page's other filters, read as `GET /api/leads` reads them: a search (phone, email, either id) … */
  q?: string;
  /** … a stage: only `new` (a lead past `new` is never resent) … */
  stage?: 'new';
  /** … a source's id, a webmaster. */
  source?: string;
  webmaster?: string;
}

/** `POST /api/work/resend/count`'s answer: how many leads the filter selects now, counted up to `max`. */
export interface ResendCount {
  leads: number;
  /** True when there are more than `leads` (the count stopped at its ceiling). */
  more: boolean;
}

/** `POST /api/leads/:id/resend`'s answer: the lead's delivery as it is now (queued). */
export interface ResendAnswer {
  id: number;
  queued: true;
  delivery: LeadDelivery;
}

/** `POST /api/leads/resend`'s answer: how many leads the filter selected, how many were queued again (not those being delivered right then). */
export interface ResendManyAnswer {
  matched: number;
  queued: number;
}

/** One thing a template asks the integrator for. */
export interface TemplateField {
  name: string;
  label: string;
  help: string;
  /** Secrets are required unless they say otherwise; settings and offer parameters only when they say so. */
  required?: boolean;
}

/** A template file. */
export interface IntegrationTemplate {
  id: string;
  name: string;
  kind: string;
  /** What the template does and what to fill in, for the integrator: no developer or sandbox details. */
  description: string;
  /**
   * The local sandbox target `npm start` runs for it (`http://127.0.0.1:3004`), kept apart from the
   * description: the editor shows it only as "Try it against the local sandbox: <url>".
   */
  sandbox?: string;
  settings: TemplateField[];
  secrets: TemplateField[];
  offerParameters: TemplateField[];
  /**
   * For targets that send postbacks to a URL the integrator pastes into them: what to append to
   * the integration's postback URL, in the target's own macros (`&click_id={click_id}&status={status}`).
   * The integration keeps it in its settings as `postback_tail`.
   */
  postbackTail?: string;
  flows: FlowDoc[];
}

/** A template as the list shows it: what it asks for and which events it handles, without its flows. */
export interface TemplateSummary extends Omit<IntegrationTemplate, 'flows'> {
  events: FlowEvent[];
}

/**
 * What is still to be filled in before the integration can work: the setting, secret and offer
 * parameter gaps of its readiness, by name (see `missingOf` in core/readiness.ts).
 */
export interface Missing {
  settings: string[];
  secrets: string[];
  /** Per offer routed to the integration, the parameters the template needs that the offer lacks. */
  offerParameters: Record<string, string[]>;
}

/** The answer of "new integration from template". */
export interface FromTemplateResult extends IntegrationView {
  template: string;
  missing: Missing;
  /** The postback URL with the template's tail of macros: what to paste into the target. */
  postbackUrlWithTail?: string;
}

/**
 * What `POST /api/integrations/from-template` takes: the template, the new integration's id and
 * name, and the answers given (the runtime checks it with a schema and keeps its interface private).
 */
export interface FromTemplateRequest {
  template: string;
  id: string;
  name: string;
  settings?: Record<string, string>;
  secrets?: Record<string, string>;
  offers?: string[];
  enabled?: boolean;
}

/** A flow in `GET /api/flows`: the stored flow without its versions' documents. */
export type FlowSummary = Omit<StoredFlow, 'versions'> & {
  versions: VersionInfo[];
  /** The integration its current version is meant for (`FlowDoc.integration`); missing: any. */
  integration?: string;
};
export type VersionInfo = Omit<FlowVersion, 'flow'>;

/**
 * `GET /api/flows`: the published flows, and the asking user's drafts (a draft of a flow never
 * published has `baseVersion` 0 and no entry in `flows`).
 */
export interface FlowListAnswer {
  flows: FlowSummary[];
  drafts: DraftSummary[];
}

/** One of the user's drafts in a list: which flow, from which version, when last saved. */
export interface DraftSummary {
  flowId: string;
  name: string;
  event: string;
  /** The integration the draft's flow is made for, when it names one. */
  integration?: string;
  savedAt: string;
  baseVersion: number;
}

/**
 * `GET|PUT /api/flows/:id/draft`: the asking user's draft, with what keeps it from being published
 * (`issues`, empty when it may be) and the flow's live version now (0 when never published; above
 * `baseVersion` when someone published since the draft started).
 */
export interface FlowDraftView extends Omit<FlowDraft, 'userId'> {
  issues: FlowIssue[];
  liveVersion: number;
}

/**
 * `POST /api/flows/:id/publish`: the asking user's draft becomes the flow's new live version.
 * `replace` publishes it even though another version was published after the draft started (else
 * that is a 409 naming the version and who published it).
 * @example { "message": "send the goods too" }
 */
export interface PublishRequest {
  message?: string;
  replace?: boolean;
}

/**
 * What `PATCH /api/integrations/:id` takes: secrets set (text), kept (left out) or removed (null).
 * The postback token is the runtime's to make: rotate it with `POST /api/integrations/:id/postback-token/rotate`.
 */
export type IntegrationPatch = Partial<
  Omit<Integration, 'secrets' | 'flows' | 'postbackToken' | 'previousToken' | 'previousTokenUntil'>
> & {
  secrets?: Record<string, string | null>;
  flows?: Record<string, string | null>;
  /** Ticking an offer whose new leads go elsewhere moves them here (else 409 with {@link NewLeadClashDetails}). */
  move?: boolean;
};

/** `PUT /api/offers/:id`: the offer; `move` moves its new leads to the `routes.new` it names (else 409 with {@link NewLeadClashDetails}). */
export type OfferWrite = Offer & { move?: boolean };

/**
 * The `details` of the 409 a write routing an offer's new leads elsewhere gets (core/domain/routing.ts,
 * `newLeadClash`): the offer, who holds its new leads now (an integration, or our own call centre),
 * and where the write routes them (an integration's id, or null for our call centre).
 */
export interface NewLeadClashDetails {
  offer: { id: string; name: string };
  current: { kind: 'integration'; id: string; name: string } | { kind: 'network' };
  to: string | null;
}

/** `GET /api/leads/:id`: the lead, its stage history and deliveries, and its executions (newest first). */
export type LeadPage = LeadView & { executions: Execution[] };

/**
 * The filters of `GET /api/leads`, newest first. `q` finds a lead by phone (any format), email,
 * our id or an external id; `integration` includes the leads handed to it; `from` (inclusive) and
 * `to` (exclusive) are ISO times; `cursor` is the `next` of the previous page; `before` (older
 * callers) pages back by id.
 * @example { q: '0151 2345678', delivery: 'failed', from: '2026-12-01T00:00:00Z' }
 */
export interface LeadQuery {
  q?: string;
  stage?: Stage;
  delivery?: DeliveryState;
  integration?: string;
  offer?: string;
  /** A source's id (its leads were posted with its key). */
  source?: string;
  /** A webmaster (`wm`). */
  webmaster?: string;
  from?: string;
  to?: string;
  cursor?: string;
  before?: number;
  limit?: number;
}

/** `GET /api/leads`'s answer: a page of leads and the cursor of the next one (absent on the last page). */
export interface LeadListAnswer {
  leads: LeadListItem[];
  next?: string;
}

/** The filters of `GET /api/executions` (the integration log), newest first. */
export interface ExecutionQuery {
  integration?: string;
  flow?: string;
  /** Runs linked to the lead: its own and every run that touched it (a postback, a status check). */
  lead?: number;
  event?: string;
  /** `success`, `error`, `waiting` or `stopped`. */
  outcome?: ExecutionState;
  /** Only the runs that failed (`outcome: 'error'`). */
  errors?: boolean;
  /** Started at or after (ISO). */
  from?: string;
  /** Started before (ISO). */
  to?: string;
  before?: number;
  limit?: number;
}

/**
 * `POST /api/executions/:id/rerun`'s answer: the new execution and, for a lead event, what it did
 * to the lead — its stage before and after, and why it did not move when it could not.
 * @example { execution, lead: { id: 7, stageBefore: 'approve', stageAfter: 'approve', changed: false, note: '…' } }
 */
export interface RerunAnswer {
  execution: Execution;
  error?: Execution['error'];
  lead?: {
    id: number;
    stageBefore: Stage;
    stageAfter: Stage;
    changed: boolean;
    /** What changed, in words (a delivery result never moves a lead past `new`). */
    note: string;
  };
}

/**
 * `POST /api/flows/:id/test` `{ integration, flow?, … }`, with what the flow's event gets:
 * - lead events: `lead` (a sample) or `leadId` (a stored lead);
 * - `status.processing` / `status.approved`: `batch` (a sample `{ ids, eids, leads }`), or nothing
 *   to take the integration's real `wait`/`hold` (or `approve`) leads, read only;
 * - `status.range`: `batch` (`{ from, to, page }`), or nothing for the trigger's last window;
 * - `postback.in`: `call` (`{ query, body }` as the target would send it).
 * `trigger` is taken for `batch` or `call` as well.
 */
export interface TestRunRequest {
  integration: string;
  flow?: FlowDoc;
  /** A sample lead; with neither `lead` nor `leadId`, the kernel's sample for the integration (`sampleLeadFor`). */
  lead?: unknown;
  leadId?: number;
  batch?: unknown;
  call?: { query?: unknown; body?: unknown };
  trigger?: unknown;
  /**
   * `dry` (the default): the run stops at the first node about to send a request to the target
   * (HTTP Request, Auth Token's login) and answers that request, secrets masked, in
   * {@link TestRunAnswer.stopped}; nothing leaves. `real`: the requests go to the target.
   */
  send?: TestSendMode;
  /**
   * Pinned outputs, by node id: such a node does not run; the nodes after it run on this output
   * (taken through its `out` exit). Kept by the editor per flow, never in the flow document.
   * @example { "send": { "status": 200, "body": { "ok": true, "id": "E-1" } } }
   */
  pins?: Record<string, unknown>;
  /**
   * Runs this one node alone on `input` (the nodes after it do not run); `pins` give what
   * `{{nodes.x}}` of earlier nodes reads. Dry by `send` as any run.
   */
  node?: string;
  /** With `node`: the node's input (the output of the step before it in the last test run, or typed in). */
  input?: unknown;
}

/** Whether a test run's requests leave for the target: see {@link TestRunRequest.send}. */
export type TestSendMode = 'dry' | 'real';

/**
 * What one Update Lead of a test run would have done, without doing it: the lead it found by
 * `oid`/`eid` (or the run's own), and the stage change the stage rule would allow.
 */
export interface TestLeadUpdate {
  /** How the lead was looked for. */
  by: 'oid' | 'eid' | 'lead';
  oid?: number | string;
  eid?: string;
  /** The lead it would change; undefined when none matches. */
  lead?: { id: number; eid?: string; stage: Stage };
  stageBefore?: Stage;
  /** The stage asked for. */
  stage?: Stage;
  stageAfter?: Stage;
  stageChanged: boolean;
  status?: string;
  statusCode?: string;
  reason?: string;
  comment?: string;
  payout?: number;
}

export interface TestRunAnswer {
  execution: Execution;
  response?: FlowResponse;
  error?: Execution['error'];
  /** What the flow ran on: the lead, the batch (the real leads taken, when none was given) or the call. */
  trigger?: unknown;
  /** Per Update Lead, in order: which lead it would change and how. Nothing was changed. */
  updates?: TestLeadUpdate[];
  /** The outgoing postbacks it would have sent. None was sent. */
  postbacks?: { url: string; method: string }[];
  /** A dry run that stopped before sending: the node, and the request it would have sent (secrets masked). */
  stopped?: { nodeId: string; request: HttpRecord['request'] };
}

/** An intake key in an API answer: its id, hint and dates, never its hash. */
export type SourceKeyView = Omit<SourceKey, 'hash'>;

/** A source in an API answer. */
export interface SourceView extends Omit<Source, 'keys'> {
  keys: SourceKeyView[];
}

/** What `POST /api/sources` takes. */
export interface SourceCreate {
  id: string;
  name?: string;
  kind: SourceKind;
  /** Required for a webmaster source. */
  webmaster?: string;
  webmasters?: string[];
  offers: string[] | '*';
}

/** What `PATCH /api/sources/:id` takes: the fields to change. */
export type SourcePatch = Partial<Pick<Source, 'name' | 'offers' | 'webmasters'>>;

/** What `POST /api/sources/:id/keys` (rotation) takes: how long the keys it replaces keep working. */
export interface KeyRotation {
  /** Seconds the old keys still work; 0 or unset: they stop at once. */
  graceSeconds?: number;
}

/**
 * The answer of creating a source or rotating its key: the only time the key itself is shown.
 * The runtime keeps its hash and cannot show it again.
 */
export interface IssuedKey {
  source: SourceView;
  /** The new key, in full. */
  key: string;
  keyId: string;
}

/** `GET /api/audit`'s answer: newest first. */
export interface AuditAnswer {
  entries: AuditEntry[];
}

/** A person's account as the users API answers it (never the password hash). */
export interface UserView {
  id: string;
  name: string;
  role: Role;
  disabled: boolean;
  createdAt: string;
}

/** `GET /api/session` and `POST /api/session`: who is logged in, and until when. */
export interface SessionAnswer {
  user: SessionUser;
  expiresAt: string;
}

/**
 * What deleting an integration takes with it and what stays: `GET /api/integrations/:id/removal`,
 * shown by the editor's confirmation before `DELETE /api/integrations/:id`.
 * @example { integration: 'acme', flows: [{ id: 'acme-send', name: 'Acme: send', event: 'lead.new' }], secrets: ['api_key'],
 *   checks: ['status.processing'], offers: ['tea'], blockedBy: [], sharedFlows: [] }
 */
export interface IntegrationRemoval {
  integration: string;
  /** Its flows meant for it alone (`FlowDoc.integration`): deleted with it. */
  flows: { id: string; name: string; event: FlowEvent }[];
  /** Flows it uses that are meant for any integration: they stay. */
  sharedFlows: { id: string; name: string; event: FlowEvent }[];
  /** Its secrets' names: deleted with it. */
  secrets: string[];
  /** The status checks it has a flow for: no longer scheduled. */
  checks: FlowEvent[];
  /** The offers whose new leads it takes: they are routed nowhere afterwards. */
  offers: string[];
  /**
   * Offers whose own routes name it (`Offer.routes`): while there are any, deleting is refused
   * (409 naming them), so an offer's routing never changes without its own edit.
   */
  blockedBy: string[];
}

/** The events a status check runs. */
export type CheckEvent = 'status.processing' | 'status.approved' | 'status.range';

/**
 * What one status check did. `leads` were asked about in `runs` flow runs (batches; for a range
 * check, pages of windows, whose leads are not counted ahead); of them `moved` changed stage,
 * `unchanged` kept theirs, `failed` were in a batch whose run failed.
 */
export interface CheckReport {
  integration: string;
  event: CheckEvent;
  startedAt: string;
  durationMs: number;
  runs: number;
  leads: number;
  moved: number;
  unchanged: number;
  failed: number;
  /** Windows done (range). */
  windows?: { from: string; to: string; pages: number }[];
  /** Why the check stopped early, with the execution that failed. */
  error?: { code: string; message: string; nodeId?: string; execution?: number };
}

/** A check's schedule as `GET /api/integrations/:id/checks` lists it. */
export interface CheckSchedule {
  event: CheckEvent;
  /** As the trigger says it (`10m`, `*\/15 * * * *`); missing while not scheduled (the integration is off). */
  schedule?: string;
  /** When it runs next. */
  next?: string;
  running: boolean;
  /** The check under way as long work, to follow with `GET /api/work/:id` (and its stream). */
  work?: string;
  last?: CheckReport;
}

/**
 * What `POST /api/webmasters/:id/test-postback` takes: the URL to try (as typed, saved or not);
 * unset: the webmaster's saved URL for `stream`, else his general one.
 */
export interface TestPostbackRequest {
  url?: string;
  /** The stream (the lead's `flow`) the sample lead comes from. */
  stream?: string;
  /** The stage the sample lead reports; default `approve`. */
  stage?: Stage;
}

/**
 * Its answer: the postback really sent for a sample lead, and what the tracker said — or why it
 * was not sent (the outbound policy's refusal, no answer in time). A refusal or a failure is a
 * 200 with `ok: false`: the test ran, the tracker's side failed.
 */
export interface TestPostbackAnswer {
  /** The URL as sent, macros expanded with the sample lead's values. */
  url: string;
  /** The sample lead's values the macros were filled from. */
  sample: Record<string, string>;
  /** Whether the tracker answered 2xx. */
  ok: boolean;
  status?: number;
  /** The start of the tracker's answer (at most 500 characters). */
  body?: string;
  durationMs: number;
  error?: string;
  /** The outbound policy refused the address: the runtime may not send postbacks there. */
  refused?: boolean;
  /** `{words}` in the URL that are not macros, left as written (a typo?). */
  unknownMacros: string[];
}

/**
 * `GET /api/overview`: the state of things the home page shows, and what exists, so it can say
 * what to do next.
 */
export interface Overview {
  integrations: { id: string; name: string; enabled: boolean; paused?: boolean; failed: number; retrying: number }[];
  /** Leads created since `since` (the start of the day, in the runtime's time zone), by stage. */
  leadsToday: Partial<Record<Stage, number>>;
  since: string;
  /** Deliveries that failed for good / are being retried, over every integration. */
  deliveries: { failed: number; retrying: number };
  counts: { offers: number; webmasters: number; sources: number; flows: number };
  /** The demo integration and its source, when the data folder has them (`npm start` seeds them). */
  demo?: { integration: string; source?: string; offer: string };
}

/** `POST /api/sources/:id/test-lead`'s answer: the sample lead posted as that source. */
export interface TestLeadAnswer {
  id: number;
  stage: Stage;
  offer: string;
}
