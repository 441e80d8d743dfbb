/**
 * The node contract. A node is one file in `nodes/`: a descriptor (plain data the editor draws the
 * palette and the config form from) and an `execute` function the runtime calls. Everything a node
 * needs from the outside world (HTTP, hashing, the lead store, postbacks) reaches it through
 * {@link NodeContext}, so node files import nothing Node-only and stay importable in the browser.
 */
import type { FlowEvent, OfferGoal, OfferProduct } from '../../runtime/domain/config.ts';
import type { Lead, Stage, StageSource } from '../../runtime/domain/lead.ts';

/** The palette's groups, in the order the editor shows them. */
export const CATEGORIES = ['trigger', 'build request', 'talk', 'read answer', 'act on lead', 'code'] as const;
export type Category = (typeof CATEGORIES)[number];

/**
 * How a parameter is edited and how the engine prepares it before `execute`:
 * - `text`, `select`, `number`, `boolean`, `code`: given to the node as written;
 * - `template`: rendered (`{{lead.phone | digits}}`); a template that is one expression keeps the value's type;
 * - `secret`: a template that may name `{{secrets.x}}`; the form never shows a stored secret;
 * - `keyValue`: rows of `{ key, value }`, each value rendered as a template;
 * - `json`: any JSON value whose strings are rendered as templates;
 * - `statusTable`: rows of `{ match, value, stage }` for Map Status.
 */
export type ParamKind =
  | 'text'
  | 'template'
  | 'secret'
  | 'select'
  | 'number'
  | 'boolean'
  | 'keyValue'
  | 'json'
  | 'code'
  | 'statusTable';

export interface ParamSpec {
  kind: ParamKind;
  label?: string;
  help?: string;
  /** Used when the flow leaves the parameter out. */
  default?: unknown;
  /** A required parameter must be present and not empty. */
  required?: boolean;
  /** The choices of a `select`. */
  options?: readonly string[];
  /** Show (and validate) the parameter only when other parameters have these values. */
  showIf?: Record<string, string | readonly string[]>;
  /** Bounds of a `number`. */
  min?: number;
  max?: number;
  /** Placeholder text in the form. */
  placeholder?: string;
  /** A `text` with a syntax of its own, checked on save: `schedule` (an interval such as 10m, or cron). */
  format?: 'schedule';
}

/** One row of a `keyValue` parameter. */
export interface KeyValue {
  key: string;
  value: unknown;
}

/** How Map Status compares a raw value: the whole value, one of a comma list, or a regular expression. */
export type StatusMatch = 'exact' | 'list' | 'pattern';

/** One row of a `statusTable` parameter. */
export interface StatusRule {
  match: StatusMatch;
  value: string;
  stage: Stage;
}

/**
 * A node's description: what the palette, the config form and the flow validator need.
 * Plain data, no functions.
 */
export interface NodeDescriptor {
  /** Unique, kebab-case: `http-request`. */
  type: string;
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
  /** Only nodes that declare this may name `{{secrets.x}}` in their templates. */
  usesSecrets?: boolean;
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
  status?: string;
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

/** The answer of a synchronous flow (`lead.register`). */
export interface FlowResponse {
  status: number;
  body: unknown;
}

/** The limits a Code node's script runs under; each is a param of the node. */
export interface CodeLimits {
  /** Heap of the script's QuickJS runtime, in MB. */
  memoryMb: number;
  /** Wall-clock deadline of the whole run (compile, run, every promise job), in ms. */
  timeoutMs: number;
  /** QuickJS stack, in KB: bounds recursion. */
  stackKb: number;
  /** The result as JSON text, in KB (UTF-8). */
  outputKb: number;
}

/** Safe defaults: 32 MB, 1 s, 256 KB of stack, 1 MB of JSON out. */
export const CODE_LIMITS: Readonly<CodeLimits> = { memoryMb: 32, timeoutMs: 1000, stackKb: 256, outputKb: 1024 };

/** Each limit a run can hit, named in the node's error (`code_limit: memory`), with the param that sets it. */
export const CODE_LIMIT_PARAMS = { memory: 'memoryMb', time: 'timeoutMs', stack: 'stackKb', output: 'outputKb' } as const;
export type CodeLimitName = keyof typeof CODE_LIMIT_PARAMS;

/**
 * What a script sees besides `helpers`: the node's input, the lead, the offer (parameters resolved
 * for the lead's country) and the integration's settings. Never secrets.
 */
export interface CodeGlobals {
  input: unknown;
  lead?: Lead;
  offer?: OfferView;
  settings: Record<string, string>;
}

/**
 * Why a run failed:
 * - `syntax`: the script does not compile;
 * - `exception`: it threw (or its promise rejected);
 * - `limit`: it hit one of its {@link CodeLimits} (`limit` says which);
 * - `result`: it returned something that is not JSON, or its promise never settles;
 * - `sandbox`: the sandbox itself failed (a bug, not the script's fault).
 * `line` and `column` are 1-based, in the script as written.
 */
export interface CodeError {
  kind: 'syntax' | 'exception' | 'limit' | 'result' | 'sandbox';
  limit?: CodeLimitName;
  message: string;
  line?: number;
  column?: number;
}

/** A finished run: the JSON value the script returned, or why it failed; `logs` either way. */
export type CodeOutcome =
  | { ok: true; value: unknown; logs: string[]; durationMs: number }
  | { ok: false; error: CodeError; logs: string[]; durationMs: number };

/**
 * Runs Code node scripts in a sandbox (QuickJS): one fresh, isolated interpreter per run, nothing
 * reachable but the globals given and the helpers. Never rejects for what a script does.
 */
export interface CodeRunner {
  /**
   * `keys`: signing keys by name, never given to the script — `helpers.key(name)` is a placeholder
   * only the hash helpers replace with the key.
   */
  run(script: string, globals: CodeGlobals, limits: CodeLimits, keys?: Record<string, string>): Promise<CodeOutcome>;
}

/** The names a script's body is given, in order: `input`, `lead`, `offer`, `integration`, `helpers`. */
export const CODE_PARAMS = ['input', 'lead', 'offer', 'integration', 'helpers'] as const;

/**
 * The program a Code node's script becomes: the body of an async function of {@link CODE_PARAMS}.
 * The script starts on the second line, at column 1, so a position in the program is the same
 * position in the script one line down.
 */
export function wrapCodeScript(script: string): string {
  return `(async function (${CODE_PARAMS.join(', ')}) {\n${script}\n})`;
}

/** Lines before the script in {@link wrapCodeScript}'s program. */
export const CODE_SCRIPT_LINE_OFFSET = 1;

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
  /** For a date-range status check: the target has another page; the check runs the flow again for it. */
  nextPage(cursor: unknown): void;
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
   * The JavaScript sandbox the Code node runs its script in. Optional: a host without one (a
   * browser preview) leaves it out, and the Code node fails saying so.
   */
  code?: CodeRunner;
}

/**
 * A failure a node reports as a value. `retryable` failures (the target was down, slow, or
 * answered 5xx) leave a lead `new` for the delivery queue to try again.
 */
export interface NodeFailure {
  code: string;
  message: string;
  retryable: boolean;
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
}

/** A node: its descriptor plus the code the runtime runs. */
export interface NodeDefinition<P = Record<string, unknown>> extends NodeDescriptor {
  execute(context: NodeContext<P>): Promise<NodeResult> | NodeResult;
}

/**
 * Declares a node. The identity function, there for the types.
 *
 * @example
 * export const upper = defineNode<{ value: string }>({
 *   type: 'upper', title: 'Upper', category: 'build request', description: 'Upper-cases a value.',
 *   inputs: ['in'], outputs: ['out'],
 *   params: { value: { kind: 'template', required: true } },
 *   execute: ({ params }) => ({ output: String(params.value).toUpperCase() }),
 * });
 */
export function defineNode<P>(definition: NodeDefinition<P>): NodeDefinition<P> {
  return definition;
}

/** A descriptor without its code, as the editor and the management API carry it. */
export function describeNode(definition: NodeDefinition<never> | NodeDefinition): NodeDescriptor {
  const { execute: _execute, ...descriptor } = definition as NodeDefinition;
  return descriptor;
}
