/**
 * The node contract. A node is one file in `nodes/`: a descriptor (plain data the editor draws the
 * palette and the config form from) and an `execute` function the runtime calls. Everything a node
 * needs from the outside world (HTTP, hashing, the lead store, postbacks) reaches it through
 * {@link NodeContext}, so node files import nothing Node-only and stay importable in the browser.
 */
import type { FlowEvent, OfferGoal, OfferProduct } from '../domain/config.ts';
import type { Lead, Stage, StageSource } from '../domain/lead.ts';
import type { CodeRunner } from './code-sandbox.ts';
import type { ParamSpec, ParamValues } from './params.ts';

export type { KeyValue, ParamKind, ParamSpec, StatusMatch, StatusRule } from './params.ts';

/** The palette's groups, in the order the editor shows them. */
export const CATEGORIES = ['trigger', 'build request', 'talk', 'read answer', 'act on lead', 'code'] as const;
export type Category = (typeof CATEGORIES)[number];

/**
 * A node's description: what the palette, the config form and the flow validator need.
 * Plain data, no functions.
 */
export interface NodeDescriptor {
  /** Unique, kebab-case: `http-request`. */
  type: string;
  /**
   * The version of the node's params, from 1. A change that would break a saved flow (a param
   * renamed, its meaning changed) raises it, and the node's `migrate` brings older params up.
   */
  version: number;
  title: string;
  category: Category;
  description: string;
  /** Input ports; empty for triggers. */
  inputs: readonly string[];
  /** Output ports. A node whose settings say `onError: 'error-port'` also has `error`. */
  outputs: readonly string[];
  params: Record<string, ParamSpec>;
  /** For triggers: the events a flow started by this node may handle. */
  events?: readonly FlowEvent[];
  /**
   * Only nodes that declare this may name `{{secrets.x}}` in their templates: the nodes that build
   * and send requests (JSON Build, Form/Query Build, Sign, HTTP Request, Auth Token) and Code, for
   * its signing keys only. Whatever request they build goes only to the integration's allowed hosts.
   */
  usesSecrets?: boolean;
  /**
   * The node never holds a secret's value (Code): the host masks every secret — the integration's
   * and those learnt at run time — in the input it gives it, as the records mask them, so a body
   * JSON Build wrote with `{{secrets.api_key}}` reaches it as `[secret]`.
   */
  secretsMasked?: boolean;
  /**
   * Its output is a credential that lives a while (Auth Token's token): a delivery continued later
   * (a retry, a crash, a wait) runs the node again — from its cache while the token lives, renewed
   * once it expired — instead of reusing the output its checkpoint kept, which may be dead by then.
   * The same as every such node having `settings.rerun`.
   */
  rerunOnResume?: boolean;
}

/** The offer as templates and nodes see it: parameters already resolved for the lead's country. */
export interface OfferView {
  id: string;
  name: string;
  params: Record<string, string>;
  goals: OfferGoal[];
  products: OfferProduct[];
}

/** What a node may know of its integration: never the secrets. */
export interface IntegrationView {
  id: string;
  name: string;
  settings: Record<string, string>;
}

/** A request as the HTTP client sends it and the execution log records it. */
export interface HttpRequestSpec {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
  timeoutMs: number;
}

/** The three ways a request can end, distinct so a flow can branch on each. */
export type HttpOutcome = 'answer' | 'network_error' | 'timeout';

export interface HttpExchange {
  outcome: HttpOutcome;
  status?: number;
  headers?: Record<string, string>;
  /** The answer's body as text. */
  text?: string;
  error?: string;
  durationMs: number;
}

/** Sends requests to targets; every exchange lands in the node's record in the execution log. */
export interface HttpClient {
  send(request: HttpRequestSpec): Promise<HttpExchange>;
}

export type HashAlgorithm = 'md5' | 'sha1' | 'sha256' | 'sha512';
export type DigestEncoding = 'hex' | 'base64';

/** Hashing done by the host (Node's crypto). With `key`, an HMAC. */
export interface Hasher {
  digest(algorithm: HashAlgorithm, data: string, encoding: DigestEncoding, key?: string): string;
}

/** A change Update Lead asks for. Fields left undefined stay as they are. */
export interface LeadUpdate {
  /** Find the lead by our id… */
  oid?: number | string;
  /** …or by its id in the target. Without either, the execution's own lead. */
  eid?: string;
  /** Set the external id. */
  setEid?: string;
  stage?: Stage;
  /** The target's raw status text… */
  status?: string;
  /** …and its status code, when it has one beside the text. */
  statusCode?: string;
  reason?: string;
  comment?: string;
  payout?: number;
  source?: StageSource;
}

export interface LeadUpdateResult {
  lead: Lead;
  /** False when the stage rule refused the move or the stage was already that. */
  stageChanged: boolean;
}

/** What nodes may do to leads. Implemented by the services layer, which owns the stage rule. */
export interface LeadActions {
  /** Undefined when no lead matches the `oid`/`eid` given. */
  update(change: LeadUpdate): Promise<LeadUpdateResult | undefined>;
}

/** Sends an outgoing postback through the durable, retried postback queue. */
export interface PostbackActions {
  send(request: { url: string; method: 'GET' | 'POST'; leadId?: number }): Promise<void>;
}

/**
 * Values a node keeps between runs, such as a session token, each until its time is up. The
 * runtime scopes it per integration: a key never reaches another integration's runs.
 *
 * @example
 * const token = cache.get('token') ?? (await logIn());
 * cache.set('token', token, 55 * 60_000);
 */
export interface NodeCache {
  /** The value, or undefined when there is none or its time is up. */
  get(key: string): unknown;
  /** Keeps `value` for `ttlMs` milliseconds (0 or less: removes it). */
  set(key: string, value: unknown, ttlMs: number): void;
  delete(key: string): void;
}

/**
 * Values a login obtains (Auth Token's session token), kept for every run of the integration — in
 * every runtime process sharing the store, not just this one — each until its time is up. Values
 * must be JSON (a shared store keeps them as JSON, sealed). The runtime scopes it per integration.
 *
 * {@link SharedCache.alone} runs `work` alone for a key: no other run, in this process or in another
 * one sharing the store, runs work for the same key meanwhile; they wait, then look again — so one
 * login serves them all.
 *
 * @example
 * const token = (await shared.get('token')) ?? (await shared.alone('token', async () => {
 *   const fresh = await shared.get('token'); // another run may have logged in while this one waited
 *   if (fresh) return fresh;
 *   const token = await logIn();
 *   await shared.set('token', token, 55 * 60_000);
 *   return token;
 * }));
 */
export interface SharedCache {
  /** The value, or undefined when there is none or its time is up. */
  get(key: string): Promise<unknown>;
  /** Keeps `value` (JSON) for `ttlMs` milliseconds (0 or less: removes it). */
  set(key: string, value: unknown, ttlMs: number): Promise<void>;
  delete(key: string): Promise<void>;
  /** Runs `work` with no other `work` for `key` under way anywhere; resolves with its result. */
  alone<T>(key: string, work: () => Promise<T>): Promise<T>;
}

/**
 * The integration's secrets a node renews at the target and must keep: a rotated OAuth 2 refresh
 * token, a new API key a login answers. Implemented by the runtime (runtime/services/kept-secrets.ts).
 *
 * {@link SecretKeeper.renew} runs `renewal` alone: no other run of the integration renews the same
 * secret meanwhile — in this process (one renewal in flight per integration and name, the others
 * wait for it) nor in another sharing the store (a lock in the store). `renewal` gets the secret's
 * current stored value (fresher than the run's `{{secrets.x}}` when another run renewed it since)
 * and answers the value to keep, if any, with its own result. The value is stored — encrypted,
 * durably — before `renew` resolves, so nothing uses the new value (not even the access token that
 * came with it) before it is safe: a crash after the answer and before the store can lose it, but a
 * crash after `renew` resolved cannot. When storing fails the new value is kept in memory as the
 * current one (used by the next renewal, which stores it first) and `renew` rejects with
 * {@link SecretNotStored}: the node fails retryably rather than go on with a token a restart would lose.
 *
 * @example
 * const token = await context.secrets.renew('refresh_token', async (current) => {
 *   const answer = await refreshWith(current);
 *   return { keep: answer.refresh_token, result: answer.access_token };
 * });
 */
export interface SecretKeeper {
  renew<T>(name: string, renewal: (current: string | undefined) => Promise<{ keep?: string; result: T }>): Promise<T>;
}

/** Thrown by {@link SecretKeeper.renew} when the new value could not be stored (it is kept in memory meanwhile). */
export class SecretNotStored extends Error {
  readonly code = 'secret_not_stored';
}

/** The answer of a synchronous flow (`lead.register`). */
export interface FlowResponse {
  status: number;
  body: unknown;
}

/**
 * Everything `execute` gets. `params` are already rendered per their kinds; `input` is the
 * predecessor's output (for a trigger, what started the flow).
 */
export interface NodeContext<P = Record<string, unknown>> {
  node: { id: string; type: string };
  event: FlowEvent;
  params: P;
  input: unknown;
  lead?: Lead;
  offer?: OfferView;
  integration: IntegrationView;
  /** What started the flow: the lead for lead events, the query and body for a postback. */
  trigger: unknown;
  /** Aborted when the node's deadline passes. */
  signal: AbortSignal;
  http: HttpClient;
  hash: Hasher;
  leads: LeadActions;
  postbacks: PostbackActions;
  /** Sets the answer of a synchronous flow. */
  respond(response: FlowResponse): void;
  /**
   * For a date-range status check: the target has another page; the check runs the flow again for
   * it with `{{batch.page}}` one higher, `{{batch.cursor}}` set to `cursor`, and `{{batch.offset}}`
   * set to `position.offset` when given (offset paging).
   */
  nextPage(cursor: unknown, position?: { offset?: number }): void;
  /** A line for the node's record in the execution log. */
  log(message: string): void;
  /** Marks a value learnt at run time (a session token) as secret, so every record redacts it. */
  addSecret(value: string): void;
  /**
   * Values kept between runs of this integration (Auth Token's session token). Optional: a host
   * without one (a browser preview) leaves it out, and nodes then work without caching.
   */
  cache?: NodeCache;
  /**
   * Values a login obtains, shared by every runtime process on the store, with one login at a time
   * per key ({@link SharedCache}). Optional: a host without it leaves it out, and nodes use `cache`.
   */
  shared?: SharedCache;
  /**
   * Stores what a login or refresh answers that must survive a restart (a rotated refresh token)
   * in the integration's encrypted secrets, one renewal at a time. Optional: a host without a
   * store (the CLI, a browser preview) leaves it out, and nodes keep such values in `cache` only.
   */
  secrets?: SecretKeeper;
  /**
   * The JavaScript sandbox the Code node runs its script in. Optional: a host without one (a
   * browser preview) leaves it out, and the Code node fails saying so.
   */
  code?: CodeRunner;
  /**
   * How long this node has waited for its target so far ({@link NodeResult.again}): 0 on its
   * first try, then the ms since that first try, across a delivery continued later too.
   */
  waitedMs?: number;
  /**
   * The longest the host lets this run wait (a synchronous registration: its caller is waiting),
   * in ms from the node's first try; undefined: as long as the node asks.
   */
  waitLimitMs?: number;
}

/**
 * A failure a node reports as a value. `retryable` failures (the target was down, slow, or
 * answered 5xx) leave a lead `new` for the delivery queue to try again.
 */
export interface NodeFailure {
  code: string;
  message: string;
  retryable: boolean;
  /**
   * For a retryable failure: the earliest the target asked to be tried again, in ms from now (a
   * 429's or 503's `Retry-After`). The delivery queue waits at least this long.
   */
  retryAfterMs?: number;
}

/**
 * What `execute` returns: the port to continue from (default `out`) and the output the next node
 * gets. A node that took a failure port (HTTP Request's `timeout`) sets `failure` too: when no
 * edge leaves that port, the failure is the node's error and its `onError` setting decides.
 */
export interface NodeResult {
  port?: string;
  output: unknown;
  failure?: NodeFailure;
  /**
   * For Each: the branch on `port` runs once per item, the item as its input and as `{{item}}`;
   * then the branch on `after.port` runs once with `after.output`.
   */
  items?: unknown[];
  after?: { port: string; output: unknown };
  /**
   * Not ready yet (HTTP Request's "repeat until"): run this node again, with the same input, in
   * `afterMs`. Nothing follows meanwhile. A queued delivery is not held while it waits: its run
   * ends and its job is continued at that time, at this node (a scheduled continuation); a
   * synchronous run waits on a timer. The node decides when it has waited long enough
   * ({@link NodeContext.waitedMs}).
   */
  again?: { afterMs: number };
}

/**
 * Brings params written for an older version of the node up to its current version. Called only
 * with `fromVersion` below the node's `version`; returns the params as the current version reads them.
 */
export type NodeMigration = (params: Record<string, unknown>, fromVersion: number) => Record<string, unknown>;

/**
 * What a scheduled trigger (Status Check) asks of the scheduler, read from its params. The
 * scheduler knows nothing else of the node.
 */
export interface TriggerSchedule {
  /** How often: an interval such as `10m`, or a cron expression (see `parseSchedule`). */
  schedule: string;
  /** A batch check (processing, approved): leads per run. */
  batchSize: number;
  /** An approved check: leads created within this many days. */
  days: number;
  /** A date-range check: the windows `from`–`to`. */
  window: {
    minutes: number;
    /** Each window starts this much before the last one ended. */
    overlapMinutes: number;
    /**
     * Every check also asks again about this many days before now (0: only what changed since the
     * last check), for a target that filters its list by registration date rather than by change.
     */
    lookbackDays?: number;
    /** How `from` and `to` are written for the flow (`{{batch.from}}`). */
    stamp(date: Date): string | number;
  };
}

/**
 * The trigger facet: what a trigger node needs from the host beyond being started. A trigger
 * without one (Lead In, Postback In) is started by events alone.
 */
export interface TriggerFacet<P = Record<string, unknown>> {
  /** For a scheduled trigger: its schedule and batch settings, from its params with defaults filled in. */
  schedule?(params: P): TriggerSchedule;
}

/** A node: its descriptor plus the code the runtime runs. */
export interface NodeDefinition<P = Record<string, unknown>> extends NodeDescriptor {
  execute(context: NodeContext<P>): Promise<NodeResult> | NodeResult;
  /** Required once `version` is above 1: saved flows may hold params of every older version. */
  migrate?: NodeMigration;
  trigger?: TriggerFacet<P>;
}

/** What a node file declares: `params` built with `param.*`, from which `execute`'s params are typed. */
export interface NodeSpec<S extends Record<string, ParamSpec>> extends Omit<NodeDefinition<ParamValues<S>>, 'params'> {
  params: S;
}

/**
 * Declares a node. The identity function, there for the types: `execute` receives the params
 * the declaration in `params` describes (see `param` in `./params.ts`).
 *
 * @example
 * export const upper = defineNode({
 *   type: 'upper', version: 1, title: 'Upper', category: 'build request', description: 'Upper-cases a value.',
 *   inputs: ['in'], outputs: ['out'],
 *   params: { value: param.text({ label: 'Value', help: 'What to upper-case.', default: '' }) },
 *   execute: ({ params }) => ({ output: params.value.toUpperCase() }), // params.value: string
 * });
 */
export function defineNode<S extends Record<string, ParamSpec>>(definition: NodeSpec<S>): NodeDefinition<ParamValues<S>> {
  return definition as NodeDefinition<ParamValues<S>>;
}

/** A descriptor without its code, as the editor and the management API carry it. */
export function describeNode(definition: NodeDefinition<never> | NodeDefinition): NodeDescriptor {
  const { execute: _execute, migrate: _migrate, trigger: _trigger, ...descriptor } = definition as NodeDefinition;
  return descriptor;
}
